/// The systemd unit files `routines service install` writes.
enum ServiceUnit {
    /// A user unit (`~/.config/systemd/user/routines.service`).
    static func user(executable: String) -> String {
        """
        [Unit]
        Description=routines: home-audio routine engine (schedules, announcements, Bluetooth keep-alive)
        Documentation=man:routines(1)
        After=pipewire.service wireplumber.service pulseaudio.service

        [Service]
        Type=notify
        NotifyAccess=main
        ExecStart=\(quoted(executable)) daemon
        Restart=on-failure
        RestartSec=2s
        WatchdogSec=30s
        TimeoutStopSec=10s
        # Room for both API listeners at their largest api.maxConnections (1024 each) and the files,
        # outputs and sockets besides; the API never holds more than its cap.
        LimitNOFILE=4096
        UMask=0077
        # Sandboxing that works in user units (no privileges needed).
        NoNewPrivileges=yes
        LockPersonality=yes
        RestrictSUIDSGID=yes
        RestrictNamespaces=yes
        SystemCallArchitectures=native
        SystemCallFilter=@system-service

        [Install]
        WantedBy=default.target

        """
    }

    /// A system unit for headless machines (a Raspberry Pi with BlueALSA): a dedicated user in the
    /// `audio` group, configuration in /etc/routines, state in /var/lib/routines.
    static func system(executable: String) -> String {
        """
        [Unit]
        Description=routines: home-audio routine engine (schedules, announcements, Bluetooth keep-alive)
        Documentation=man:routines(1)
        After=sound.target bluetooth.target bluealsa.service
        Wants=bluetooth.target

        [Service]
        Type=notify
        NotifyAccess=main
        User=routines
        Group=routines
        SupplementaryGroups=audio
        ExecStart=\(quoted(executable)) daemon --routines /etc/routines/routines --audio /etc/routines/audio --config /etc/routines/config.json --state /var/lib/routines --socket /run/routines/routines.sock
        Restart=on-failure
        RestartSec=2s
        WatchdogSec=30s
        TimeoutStopSec=10s
        # Room for both API listeners at their largest api.maxConnections (1024 each) and the files,
        # outputs and sockets besides; the API never holds more than its cap.
        LimitNOFILE=4096
        UMask=0077
        StateDirectory=routines
        StateDirectoryMode=0700
        RuntimeDirectory=routines
        RuntimeDirectoryMode=0755
        ConfigurationDirectory=routines
        NoNewPrivileges=yes
        ProtectSystem=strict
        ProtectHome=yes
        PrivateTmp=yes
        ProtectKernelTunables=yes
        ProtectKernelModules=yes
        ProtectKernelLogs=yes
        ProtectControlGroups=yes
        ProtectClock=yes
        ProtectHostname=yes
        RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_BLUETOOTH
        RestrictNamespaces=yes
        RestrictRealtime=no
        RestrictSUIDSGID=yes
        LockPersonality=yes
        MemoryDenyWriteExecute=yes
        SystemCallArchitectures=native
        SystemCallFilter=@system-service

        [Install]
        WantedBy=multi-user.target

        """
    }

    /// Quotes a path for ExecStart when it contains spaces.
    static func quoted(_ path: String) -> String {
        path.contains(" ") ? "\"\(path)\"" : path
    }
}
