# routines — build, test and install.
#   make                  release build (Swift runtime linked statically)
#   make test             what CI runs (scripts/test.sh)
#   make bench            every benchmark (bench/run.sh)
#   make install          PREFIX=/usr/local DESTDIR= : binaries, shipped routines and sounds,
#                         shell completions (bash, zsh, fish) and the man page (both committed)
#   make uninstall
#   make generated        regenerate the committed man page and completions after changing the
#                         command line (a test fails until you do)
PREFIX ?= /usr/local
DESTDIR ?=
BINDIR = $(DESTDIR)$(PREFIX)/bin
SHAREDIR = $(DESTDIR)$(PREFIX)/share/routines
MANDIR = $(DESTDIR)$(PREFIX)/share/man/man1
BASHDIR = $(DESTDIR)$(PREFIX)/share/bash-completion/completions
ZSHDIR = $(DESTDIR)$(PREFIX)/share/zsh/site-functions
FISHDIR = $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d
BUILD = .build/release

.PHONY: all build test bench install uninstall generated clean

all: build

build:
	bash -c 'source scripts/setup.sh && bash scripts/build-products.sh release'

test:
	bash scripts/test.sh

bench:
	bash bench/run.sh

# The man page needs SwiftPM's generate-manual plugin, which builds every product in release mode
# once more (minutes): it runs only here, never in `make install`.
generated:
	bash scripts/generate-docs.sh

install: build
	DESTDIR="$(DESTDIR)" bash scripts/install.sh "$(PREFIX)" $(BUILD)

uninstall:
	rm -f $(BINDIR)/routines $(BINDIR)/routines-daemon $(MANDIR)/routines.1 $(BASHDIR)/routines $(ZSHDIR)/_routines $(FISHDIR)/routines.fish
	rm -rf $(SHAREDIR)

clean:
	rm -rf .build
