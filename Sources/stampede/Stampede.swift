internal import ArgumentParser
internal import BuildInfo

/// `stampede`: runs a node (the default) or inspects its configuration.
@main
struct Stampede: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stampede",
        abstract: "A STOMP over WebSocket message broker.",
        discussion: """
            Every setting has a dotted key (see `stampede config keys`). A node takes its
            settings from, lowest precedence first:
              1. built-in defaults,
              2. the YAML file given by --config (or $STAMPEDE_CONFIG),
              3. environment variables STAMPEDE_<KEY>: the key uppercased with '.' and '-'
                 written as '_' (STAMPEDE_LIMITS_STOMP_MAX_BODY_BYTES); lists are
                 comma-separated, auth.users is "alice:secret,bob:pw",
              4. command-line flags: the named options, then each --set KEY=VALUE in order.
            """,
        version: BuildInfo.version,
        subcommands: [RunCommand.self, ConfigCommand.self, ClusterCommand.self, PasswdCommand.self, TokenCommand.self, PublishCommand.self, SubscribeCommand.self, RequestCommand.self]
    )

    /// Running a node is what `stampede` does without a subcommand, so its options show in `--help`.
    @OptionGroup var options: ConfigurationOptions

    func run() throws { try RunCommand.runNode(options) }
}
