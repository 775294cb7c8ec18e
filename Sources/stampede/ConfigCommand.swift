internal import ArgumentParser
internal import Gateway

/// `stampede config …`: the settings table, and checking a configuration without running it.
struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "List the settings, or check a configuration.",
        subcommands: [KeysCommand.self, CheckCommand.self, ExampleCommand.self]
    )
}

/// `stampede config keys`: every key with its type, default, variable and meaning.
struct KeysCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "List every setting: key, default, environment variable and description."
    )

    @Flag(help: "Print the reference tables of docs/configuration.md instead.")
    var markdown = false

    func run() {
        if markdown {
            print(ConfigurationLoader.markdownReference(), terminator: "")
            return
        }
        let keys = ConfigurationLoader.keys
        let width = keys.map(\.name.count).max() ?? 0
        for key in keys {
            let value = key.defaultValue.text
            let shown = value.isEmpty ? "(none)" : value
            let name = key.name + String(repeating: " ", count: width - key.name.count)
            print("\(name)  \(shown)  [\(key.type), \(key.environmentVariable)]")
            print("    \(key.summary)")
        }
    }
}

/// `stampede config check`: loads like `run` would, then prints the effective configuration.
struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Validate the configuration and print the effective settings as YAML.",
        discussion: "Takes the same options as `run`; exits with status 1 and one line on standard error if something is wrong."
    )

    @OptionGroup var options: ConfigurationOptions

    @Flag(name: .customLong("show-secrets"), help: "Print passcodes instead of masking them.")
    var showSecrets = false

    func run() throws {
        do {
            print(ConfigurationLoader.yaml(for: try options.load(), showSecrets: showSecrets), terminator: "")
        } catch {
            Terminal.printError(error.description)
            throw ExitCode.failure
        }
    }
}

/// `stampede config example`: regenerates deploy/stampede.example.yml.
struct ExampleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "example",
        abstract: "Print the commented example configuration with every default.",
        shouldDisplay: false
    )

    func run() {
        print(ConfigurationLoader.exampleYAML(), terminator: "")
    }
}
