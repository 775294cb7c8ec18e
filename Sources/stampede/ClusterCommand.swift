internal import Admin
internal import ArgumentParser
internal import Gateway

/// `stampede cluster …`: looks at a running cluster through any node's admin endpoint.
struct ClusterCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cluster",
        abstract: "Inspect a running cluster through a node's admin endpoint.",
        subcommands: [ClusterStatusCommand.self]
    )
}

/// `stampede cluster status`: every node with its status, load, heartbeat age and Redis link.
struct ClusterStatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show every node of the cluster.",
        discussion: "Asks one node's admin endpoint (GET /admin/cluster); any node answers for the whole cluster. Exits with status 1 and one line on standard error if it cannot."
    )

    /// The variable `admin.token` is read from by a node, so the same environment serves both.
    static let tokenVariable = "STAMPEDE_ADMIN_TOKEN"

    @Option(help: ArgumentHelp("Admin endpoint of any node (admin.host, admin.port).", valueName: "url"))
    var admin = "http://127.0.0.1:15675"

    @Option(help: ArgumentHelp("Bearer token (admin.token); default $\(Self.tokenVariable).", valueName: "token"))
    var token: String?

    @Flag(help: "Print the endpoint's JSON instead of the table.")
    var json = false

    @Option(help: ArgumentHelp("Seconds to wait for the connection and the answer.", valueName: "seconds"))
    var timeout: Double = 5

    func validate() throws {
        guard timeout > 0, timeout <= 3_600 else { throw ValidationError("--timeout must be between 0 and 3600 seconds") }
    }

    func run() throws {
        let output: String
        do {
            output = try report()
        } catch {
            Terminal.printError(error.description)
            throw ExitCode.failure
        }
        print(output, terminator: "")
    }

    /// The table or the JSON to print.
    func report() throws(ClusterClientError) -> String {
        let url = try ClusterAdminURL(parsing: admin)
        let token = self.token ?? Terminal.environment()[Self.tokenVariable]
        let client = ClusterAdminClient(url: url, token: token, timeoutSeconds: timeout)
        let response = try client.get("/admin/cluster")
        let body = try ClusterStatusReport.interpret(response, from: url).get()
        return json ? String(decoding: response.body, as: UTF8.self) + "\n" : ClusterStatusTable.render(body.nodes)
    }
}
