# routines — build, test and install.
#   make                  release build
#   make test             what CI runs (scripts/test.sh)
#   make bench            every benchmark (bench/run.sh)
#   make install          PREFIX=/usr/local DESTDIR= : binary, shipped routines and sounds,
#                         shell completions (bash, zsh, fish) and the man page
#   make uninstall
PREFIX ?= /usr/local
DESTDIR ?=
BINDIR = $(DESTDIR)$(PREFIX)/bin
SHAREDIR = $(DESTDIR)$(PREFIX)/share/routines
MANDIR = $(DESTDIR)$(PREFIX)/share/man/man1
BASHDIR = $(DESTDIR)$(PREFIX)/share/bash-completion/completions
ZSHDIR = $(DESTDIR)$(PREFIX)/share/zsh/site-functions
FISHDIR = $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d
BUILD = .build/release
GENERATED = .build/generated

.PHONY: all build test bench install uninstall completions manual clean

all: build

build:
	bash -c 'source scripts/setup.sh && swift build -c release --static-swift-stdlib --product routines && swift build -c release --static-swift-stdlib --product routines-daemon'

test:
	bash scripts/test.sh

bench:
	bash bench/run.sh

completions: build
	mkdir -p $(GENERATED)
	$(BUILD)/routines --generate-completion-script bash > $(GENERATED)/routines.bash
	$(BUILD)/routines --generate-completion-script zsh > $(GENERATED)/_routines
	$(BUILD)/routines --generate-completion-script fish > $(GENERATED)/routines.fish

manual: build
	mkdir -p $(GENERATED)/man
	swift package --allow-writing-to-package-directory generate-manual --output-directory $(GENERATED)/man >/dev/null

install: build completions manual
	install -d $(BINDIR) $(SHAREDIR)/Routines $(SHAREDIR)/Audio $(MANDIR) $(BASHDIR) $(ZSHDIR) $(FISHDIR)
	install -m 0755 $(BUILD)/routines $(BUILD)/routines-daemon $(BINDIR)/
	install -m 0644 Routines/*.json $(SHAREDIR)/Routines/
	if ls Audio/*.wav >/dev/null 2>&1; then install -m 0644 Audio/*.wav $(SHAREDIR)/Audio/; fi
	install -m 0644 $(GENERATED)/man/routines.1 $(MANDIR)/routines.1
	install -m 0644 $(GENERATED)/routines.bash $(BASHDIR)/routines
	install -m 0644 $(GENERATED)/_routines $(ZSHDIR)/_routines
	install -m 0644 $(GENERATED)/routines.fish $(FISHDIR)/routines.fish

uninstall:
	rm -f $(BINDIR)/routines $(BINDIR)/routines-daemon $(MANDIR)/routines.1 $(BASHDIR)/routines $(ZSHDIR)/_routines $(FISHDIR)/routines.fish
	rm -rf $(SHAREDIR)

clean:
	rm -rf .build
