import Foundation
import XCTest
import Gateway
import STOMPWire

/// Samples and load helpers shared by the configuration tests.
class ConfigurationTestCase: XCTestCase {
    /// A value for every key, as an environment variable would spell it. The first candidate that
    /// differs from the key's default is used, so a changed default cannot make a test vacuous.
    static let samples: [String: [String]] = [
        "listen.host": ["0.0.0.0", "::"], "listen.websocket-port": ["8080", "8081"], "listen.websocket-paths": ["/a,/b/c", "/x"],
        "listen.stomp-port": ["6000", "6001"], "listen.allowed-origins": ["https://*.example.com,*", "*"],
        "limits.max-connections": ["7", "8"], "limits.max-output-buffer-bytes": ["1234", "1235"],
        "limits.connect-timeout-ms": ["250", "251"], "limits.close-grace-ms": ["0", "1"],
        "limits.slow-consumer-grace-ms": ["0", "7"], "limits.max-buffered-bytes": ["1048576", "0"],
        "limits.flow.high-watermark-bytes": ["65536", "0"], "limits.flow.low-watermark-bytes": ["1024", "0"],
        "limits.frame-timeout-ms": ["0", "250"], "runtime.memory-trim-bytes": ["0", "4096"],
        "limits.max-subscriptions-per-session": ["3", "4"], "limits.max-unacked-per-subscription": ["4", "5"], "limits.destination-table-size": ["5", "6"],
        "limits.stomp.max-frame-bytes": ["50000000", "50000001"], "limits.stomp.max-headers": ["9", "10"],
        "limits.stomp.max-header-line-bytes": ["100", "101"], "limits.stomp.max-body-bytes": ["1000", "1001"],
        "limits.websocket.max-message-bytes": ["2000", "2001"], "limits.websocket.max-frame-bytes": ["3000", "3001"],
        "limits.http.max-request-line-bytes": ["101", "102"], "limits.http.max-header-count": ["11", "12"],
        "limits.http.max-header-bytes": ["2001", "2002"], "limits.http.max-body-bytes": ["4096", "4097"],
        "queues.buffer-capacity": ["5", "6"], "queues.overflow": ["reject-new", "drop-oldest"],
        "queues.default-prefetch": ["7", "8"], "stomp.versions": ["1.1,1.0", "1.2"], "stomp.heart-beat": ["5000,7000", "1,2"],
        "stomp.heart-beat-tolerance": ["3", "4"], "stomp.server-name": ["Test/1", "Test/2"], "stomp.max-transactions": ["0", "1"],
        "stomp.max-frames-per-transaction": ["5", "6"], "destinations.topic-prefix": ["/t/", "/tt/"],
        "destinations.queue-prefix": ["/q/", "/qq/"], "destinations.user-prefix": ["/u/", "/uu/"],
        "destinations.wildcard-separators": ["|", "/"], "destinations.single-wildcard": ["+", "*"],
        "destinations.multi-wildcard": ["#,>", "**"], "auth.users": ["alice:secret,bob:p:w", "carol:x"],
        "applications.prefixes": ["/app,/rpc", "/app"], "applications.routes": ["/app/chat.**:stomp-service,/app/hook:webhook:https://h.example/x", "/app/a:stomp-service"],
        "applications.service-role": ["backend", "service"], "applications.service-users": ["svc,worker", "svc"],
        "presence.destinations": ["/topic/room.*,/topic/lobby", "/topic/a"], "presence.suffix": [".online", "-who"],
        "limits.flow.max-publisher-pause-ms": ["0", "1500"], "limits.flow.reader-stall-ms": ["1", "2500"], "conformance.echo-path": ["/echo", "/conformance/echo"], "conformance.sockjs-path": ["/sockjs-conformance", "/c"], "offline.prefixes": ["/user/*/queue/inbox,/user/*/queue/alerts", "/user/*/queue/x"], "offline.max-messages-per-user": ["5", "6"],
        "offline.ttl-seconds": ["60", "61"], "offline.dedup-window-seconds": ["0", "10"], "offline.memory-max-bytes": ["4096", "4097"],
        "offline.replay-batch": ["2", "3"],
        "listen.sockjs": ["true", "false"], "sockjs.heartbeat-ms": ["1000", "25000"], "sockjs.disconnect-delay-ms": ["500", "5000"],
        "sockjs.max-buffered-bytes": ["4096", "1048576"], "sockjs.streaming-response-bytes": ["2048", "131072"],
        "sockjs.max-sessions": ["5", "10000"], "sockjs.client-script-url": ["/static/sockjs.min.js", "https://cdn.example/sockjs.js"],
        "sockjs.websocket": ["false", "true"],
        "auth.allow-anonymous": ["true", "false"],
        "listen.endpoints": ["chat:path=/ws/chat auth=token roles=customer,raw:kind=stomp auth=users", "agent:path=/a|/b auth=anonymous|token tokens=bearer|query origins=https://x.example.com port=9300 tls=on sockjs=on,json:path=/api/ws/connect protocol=json user-id-param=on"],
        "limits.new-connections-per-second": ["500", "0"], "limits.max-connections-per-user": ["20", "0"], "limits.max-pending-password-checks": ["8", "16"],
        "limits.frames-per-second": ["1000", "0"], "limits.bytes-per-second": ["1048576", "0"], "limits.rate-excess-ms": ["5000", "10000"],
        "listen.trusted-proxies": ["10.0.0.1,::1", "127.0.0.1"],
        "auth.users-file": ["/etc/stampede/users", "/tmp/users"],
        "auth.jwt.secret": [String(repeating: "k", count: 40), String(repeating: "j", count: 64)],
        "auth.jwt.secret-algorithm": ["HS512", "HS256"], "auth.jwt.public-key-file": ["/etc/key.pem", "/k.pem"],
        "auth.jwt.public-key-algorithm": ["ES256", "RS256"], "auth.jwt.jwks-file": ["/etc/jwks.json", "/j.json"],
        "auth.jwt.issuer": ["https://id.example.com", "x"], "auth.jwt.audience": ["stampede", "y"],
        "auth.jwt.leeway-seconds": ["5", "0"], "auth.jwt.user-claim": ["uid", "sub"], "auth.jwt.roles-claim": ["scope", "roles"],
        "auth.jwt.require-expiry": ["false", "true"], "auth.jwt.expiry-policy": ["keep", "disconnect"],
        "auth.token-query-parameter": ["token", "t"], "auth.token-cookie": ["jwt", "c"],
        "auth.rules": ["allow send /topic/a anyone,deny * /topic/# role:x", "allow subscribe /topic/chat.{user}.* authenticated"],
        "auth.default-policy": ["deny", "allow", "auto"],
        "cluster.redis-url": ["redis://127.0.0.1:6390", "redis://redis"], "cluster.node-id": ["node-1.a_b", "n2"],
        "cluster.advertised-address": ["10.0.0.5:15674", "a:1"], "cluster.key-prefix": ["test", "test2"],
        "cluster.heartbeat-ms": ["500", "501"], "cluster.node-timeout-ms": ["4000", "4001"], "cluster.interest-grace-ms": ["0", "1"],
        "cluster.pull-batch": ["16", "17"],
        "cluster.redis-reconnect-max-ms": ["5000", "5001"], "cluster.redis-connect-timeout-ms": ["300", "301"],
        "cluster.redis-ping-interval-ms": ["500", "501"], "cluster.redis-timeout-ms": ["2000", "2001"], "cluster.redis-stall-reconnect-ms": ["9000", "9001"], "cluster.max-pending-redis-bytes": ["0", "1048576"],
        // Loopback hosts, so that setting admin.host alone needs no admin.token.
        "admin.host": ["127.0.0.2", "::1"], "admin.port": ["9100", "9101"], "admin.token": ["s3cret-token", "t"],
        "webhooks.timeout-ms": ["300", "301"], "webhooks.connect-timeout-ms": ["200", "201"], "webhooks.max-concurrent": ["3", "4"],
        "webhooks.max-queued": ["0", "1"], "webhooks.max-attempts": ["1", "2"], "webhooks.backoff-initial-ms": ["10", "11"],
        "webhooks.backoff-max-ms": ["20", "21"], "webhooks.max-response-bytes": ["4096", "4097"],
        "hooks.connect-url": ["http://127.0.0.1:9/connect", "https://h.example/c"], "hooks.events-url": ["http://127.0.0.1:9/events", "https://h.example/e"],
        "hooks.events": ["subscribe", "connect,disconnect,subscribe"], "hooks.events-max-queued": ["5", "6"],
        "api.host": ["127.0.0.3", "::1"], "api.port": ["9200", "9201"], "api.keys": ["k1,k2", "k3"], "api.role": ["pusher", "api"],
        "api.max-body-bytes": ["2048", "2049"], "api.max-batch": ["5", "6"],
        "runtime.tick-ms": ["50", "51"], "runtime.shutdown-grace-ms": ["0", "1"], "log.level": ["debug", "info"], "log.format": ["json", "text"], "log.session-lines-per-second": ["5", "0"], "admin.history-samples": ["10", "0"], "admin.latency-sample-every": ["1", "0"],
        "listen.websocket-tls": ["true", "false"], "listen.stomp-tls": ["true", "false"], "admin.tls": ["true", "false"], "api.tls": ["true", "false"],
        "tls.cert-file": ["/etc/stampede/cert.pem", "c.pem"], "tls.key-file": ["/etc/stampede/key.pem", "k.pem"],
        "tls.client-ca-file": ["/etc/stampede/clients.pem", "ca.pem"], "tls.require-client-cert": ["true", "false"],
        "tls.min-version": ["1.3", "1.2"], "tls.ciphers": ["ECDHE-RSA-AES128-GCM-SHA256", "HIGH"],
        "json.type-field": ["kind", "t"], "json.to-field": ["target", "t2"], "json.from-field": ["sender", "f"],
        "json.room-field": ["channel", "r"], "json.content-field": ["body", "c"], "json.room-prefix": ["/topic/rooms.", "/topic/r."],
        "json.user-destination": ["/queue/inbox", "/queue/x"], "json.broadcast-destination": ["", "/topic/all"],
        "json.type-header": ["x-type", "t-h"], "json.fields-header": ["x-fields", "f-h"], "json.default-type": ["chat", "m"], "json.message-types": ["chat,typing", "x"],
        "json.ping-interval-ms": ["30000", "100"], "json.pong-timeout-ms": ["40000", "200"], "json.max-message-bytes": ["1024", "64"],
        "json.max-offences": ["3", "1"], "json.max-rooms": ["10", "1"], "json.presence": ["false", "true"],
        "websocket.permessage-deflate.enabled": ["true", "false"], "websocket.permessage-deflate.min-bytes": ["0", "1"],
        "websocket.permessage-deflate.server-max-window-bits": ["9", "10"],
        "websocket.permessage-deflate.client-max-window-bits": ["8", "9"],
        "websocket.permessage-deflate.client-no-context-takeover": ["true", "false"],
    ]

    static let path = "/etc/stampede.yml"

    /// The sample for `key` that differs from its default.
    func sample(for key: ConfigurationKey) throws -> String {
        let candidates = try XCTUnwrap(Self.samples[key.name], "no sample for \(key.name)")
        return try XCTUnwrap(candidates.first { key.value(fromText: $0) != key.defaultValue }, "every sample of \(key.name) is its default")
    }

    func load(_ yaml: String? = nil, environment: [String: String] = [:], overrides: [(key: String, value: String)] = []) throws -> NodeConfiguration {
        try ConfigurationLoader.load(yaml: yaml.map { ($0, Self.path) }, environment: environment, overrides: overrides)
    }

    /// The error the load throws, failing the test if it succeeds.
    func loadError(_ yaml: String? = nil, environment: [String: String] = [:], overrides: [(key: String, value: String)] = [],
                   file: StaticString = #filePath, line: UInt = #line) -> ConfigurationError? {
        do {
            _ = try ConfigurationLoader.load(yaml: yaml.map { ($0, Self.path) }, environment: environment, overrides: overrides)
            XCTFail("load succeeded", file: file, line: line)
            return nil
        } catch {
            return error
        }
    }
}

/// Where settings come from and how they are printed; ConfigurationValueTests checks the values.
final class ConfigurationLoaderTests: ConfigurationTestCase {
    // MARK: - The table

    func testSamplesCoverExactlyTheKeyTable() {
        XCTAssertEqual(Set(Self.samples.keys), Set(ConfigurationLoader.keys.map(\.name)))
    }

    func testKeyNamesAreUniqueDottedKebabCase() {
        let names = ConfigurationLoader.keys.map(\.name)
        XCTAssertEqual(Set(names).count, names.count)
        for name in names {
            XCTAssertTrue(name.allSatisfy { $0.isLowercase || $0.isNumber || $0 == "." || $0 == "-" }, name)
            XCTAssertTrue(name.contains("."), name)
        }
    }

    func testEnvironmentVariableIsPrefixedUppercaseWithUnderscores() {
        let key = ConfigurationLoader.key(named: "limits.stomp.max-body-bytes")
        XCTAssertEqual(key?.environmentVariable, "STAMPEDE_LIMITS_STOMP_MAX_BODY_BYTES")
    }

    /// Every stored field, however deeply nested, is changed by exactly one key.
    func testEveryFieldOfNodeConfigurationIsSetByExactlyOneKey() throws {
        let defaults = Self.leaves(of: NodeConfiguration())
        var owner: [String: String] = [:]
        for key in ConfigurationLoader.keys {
            let changed = Self.leaves(of: try load(overrides: [(key.name, try sample(for: key))]))
            let fields = defaults.keys.filter { defaults[$0] != changed[$0] }
            XCTAssertFalse(fields.isEmpty, "\(key.name) changes no field")
            for field in fields {
                XCTAssertNil(owner[field], "\(field) is set by both \(owner[field] ?? "") and \(key.name)")
                owner[field] = key.name
            }
        }
        XCTAssertEqual(Set(defaults.keys).subtracting(owner.keys).sorted(), [], "fields that no key sets")
    }

    /// Stored properties by dotted path, descending into nested structs.
    static func leaves(of value: Any, path: String = "") -> [String: String] {
        let mirror = Mirror(reflecting: value)
        guard mirror.displayStyle == .struct, !mirror.children.isEmpty else { return [path: String(describing: value)] }
        var result: [String: String] = [:]
        for child in mirror.children {
            let name = path.isEmpty ? child.label ?? "?" : path + "." + (child.label ?? "?")
            result.merge(leaves(of: child.value, path: name)) { first, _ in first }
        }
        return result
    }

    // MARK: - Every key from every source

    func testEveryKeyIsSettableFromYAML() throws {
        for key in ConfigurationLoader.keys {
            let value = key.value(fromText: try sample(for: key))
            let configuration = try load(Self.nestedYAML(key.name, Self.yamlValue(value)))
            XCTAssertEqual(key.value(in: configuration), value, key.name)
        }
    }

    func testEveryKeyIsSettableFromTheEnvironment() throws {
        for key in ConfigurationLoader.keys {
            let text = try sample(for: key)
            let configuration = try load(environment: [key.environmentVariable: text])
            XCTAssertEqual(key.value(in: configuration), key.value(fromText: text), key.name)
        }
    }

    func testEveryKeyIsSettableFromTheCommandLine() throws {
        for key in ConfigurationLoader.keys {
            let text = try sample(for: key)
            let configuration = try load(overrides: [(key.name, text)])
            XCTAssertEqual(key.value(in: configuration), key.value(fromText: text), key.name)
        }
    }

    static func nestedYAML(_ name: String, _ value: String) -> String {
        let parts = name.split(separator: ".")
        var lines: [String] = []
        for (depth, part) in parts.enumerated() {
            let indent = String(repeating: "  ", count: depth)
            lines.append(depth == parts.count - 1 ? "\(indent)\(part): \(value)" : "\(indent)\(part):")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func yamlValue(_ value: ConfigurationValue) -> String {
        func quoted(_ text: String) -> String { "\"" + text.replacingOccurrences(of: "\"", with: "\\\"") + "\"" }
        switch value {
        case .scalar(let text): return quoted(text)
        case .list(let items): return "[" + items.map(quoted).joined(separator: ", ") + "]"
        case .map(let pairs): return "{" + pairs.map { quoted($0.key) + ": " + quoted($0.value) }.joined(separator: ", ") + "}"
        }
    }

    // MARK: - Precedence

    func testEnvironmentOverridesFileAndFlagsOverrideEnvironment() throws {
        let yaml = "limits:\n  max-connections: 10\nlisten:\n  host: 10.0.0.1\n"
        let variable = ["STAMPEDE_LIMITS_MAX_CONNECTIONS": "20", "STAMPEDE_LISTEN_WEBSOCKET_PORT": "9000"]
        let flags = [(key: "limits.max-connections", value: "30")]

        XCTAssertEqual(try load(yaml).maxConnections, 10)
        let withEnvironment = try load(yaml, environment: variable)
        XCTAssertEqual(withEnvironment.maxConnections, 20)
        XCTAssertEqual(withEnvironment.host, "10.0.0.1", "the file's other keys stay")
        let withFlags = try load(yaml, environment: variable, overrides: flags)
        XCTAssertEqual(withFlags.maxConnections, 30)
        XCTAssertEqual(withFlags.webSocketPort, 9000, "the environment's other keys stay")
        XCTAssertEqual(withFlags.host, "10.0.0.1")
    }

    func testLaterOverrideWins() throws {
        let configuration = try load(overrides: [("listen.websocket-port", "1000"), ("listen.websocket-port", "2000")])
        XCTAssertEqual(configuration.webSocketPort, 2000)
    }

    func testNoSourcesGiveTheDefaults() throws {
        XCTAssertEqual(try ConfigurationLoader.load(file: nil, environment: [:], overrides: []), NodeConfiguration())
        XCTAssertEqual(try load(""), NodeConfiguration())
        XCTAssertEqual(try load("# only a comment\n"), NodeConfiguration())
    }

    func testLoadsFromAFileOnDisk() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("stampede-\(UUID().uuidString).yml")
        try "listen:\n  websocket-port: 4321\n".write(to: url, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: url) }
        XCTAssertEqual(try ConfigurationLoader.load(file: url.path, environment: [:], overrides: []).webSocketPort, 4321)
    }

    // MARK: - Unknown keys

    func testUnknownKeyInFileNamesItsLineAndTheClosestKey() {
        let yaml = "listen:\n  host: a\nlimits:\n  stomp:\n    max-bdy-bytes: 5\n"
        let error = loadError(yaml)
        XCTAssertEqual(error?.kind, .unknownKey)
        XCTAssertEqual(error?.description, "unknown key 'limits.stomp.max-bdy-bytes' in /etc/stampede.yml (line 5); did you mean 'limits.stomp.max-body-bytes'?")
    }

    func testUnknownKeyFarFromAnyKeyHasNoSuggestion() {
        XCTAssertEqual(loadError("colour: red\n")?.description, "unknown key 'colour' in /etc/stampede.yml (line 1)")
    }

    func testUnknownOverrideKeyIsAnError() {
        XCTAssertEqual(loadError(overrides: [("log.levl", "debug")])?.description,
                       "unknown key 'log.levl' on the command line; did you mean 'log.level'?")
    }

    func testMisspelledVariableInAKnownSectionIsAnError() {
        XCTAssertEqual(loadError(environment: ["STAMPEDE_LIMITS_MAX_CONECTIONS": "3"])?.description,
                       "unknown environment variable STAMPEDE_LIMITS_MAX_CONECTIONS; did you mean STAMPEDE_LIMITS_MAX_CONNECTIONS?")
    }

    func testVariablesOutsideTheSettingsSectionsAreIgnored() throws {
        let environment = ["STAMPEDE_CONFIG": "/nowhere.yml", "STAMPEDE_BIN": "/usr/bin/stampede", "PATH": "/bin"]
        XCTAssertEqual(try load(environment: environment), NodeConfiguration())
    }

    func testDuplicateKeyInFileIsAnError() {
        let yaml = "limits:\n  max-connections: 1\nlimits.max-connections: 2\n"
        let error = loadError(yaml)
        XCTAssertEqual(error?.kind, .duplicateKey)
        XCTAssertEqual(error?.description, "duplicate key 'limits.max-connections' in /etc/stampede.yml (line 3)")
    }

    func testDottedKeysMayBeWrittenFlatOrNested() throws {
        let configuration = try load("limits.stomp.max-body-bytes: 5\nlimits.stomp:\n  max-headers: 6\n")
        XCTAssertEqual(configuration.stomp.maxBodyBytes, 5)
        XCTAssertEqual(configuration.stomp.maxHeaders, 6)
    }

    func testSectionGivenAScalarIsAnError() {
        XCTAssertEqual(loadError("listen: 5\n")?.description,
                       "invalid value '5' for listen in /etc/stampede.yml (line 1): expected a mapping of settings such as listen.host")
    }

    func testEmptySectionIsAllowed() throws {
        XCTAssertEqual(try load("listen:\nlimits: {}\n"), NodeConfiguration())
    }

    // MARK: - Files that are not configuration

    func testMalformedYAMLNamesTheLine() {
        let error = loadError("listen:\n  host: [a\nlimits: 1\n")
        XCTAssertEqual(error?.kind, .malformedFile)
        XCTAssertTrue(error?.description.hasPrefix("malformed YAML in /etc/stampede.yml (line ") == true, error?.description ?? "")
    }

    func testFileThatIsNotAMappingIsAnError() {
        let error = loadError("- a\n- b\n")
        XCTAssertEqual(error?.kind, .malformedFile)
        XCTAssertEqual(error?.description, "configuration file /etc/stampede.yml must be a mapping of settings in /etc/stampede.yml (line 1)")
    }

    func testMissingFileIsAnErrorNamingIt() {
        XCTAssertThrowsError(try ConfigurationLoader.load(file: "/nonexistent/stampede.yml", environment: [:], overrides: [])) { error in
            XCTAssertEqual((error as? ConfigurationError)?.kind, .unreadableFile)
            XCTAssertEqual((error as? ConfigurationError)?.description, "cannot read configuration file /nonexistent/stampede.yml: No such file or directory")
        }
    }

    // MARK: - Printing

    func testPrintedConfigurationLoadsBackUnchanged() throws {
        // The conformance services need a loopback host, and the samples bind every key off loopback.
        let overrides = try ConfigurationLoader.keys.filter { !$0.name.hasPrefix("conformance.") }.map { (key: $0.name, value: try sample(for: $0)) }
        let configuration = try load(overrides: overrides)
        XCTAssertNotEqual(configuration, NodeConfiguration())
        XCTAssertEqual(try load(ConfigurationLoader.yaml(for: configuration, showSecrets: true)), configuration)
    }

    func testPrintedConfigurationMasksPasscodesUnlessAsked() throws {
        let configuration = try load(overrides: [("auth.users", "alice:hunter2")])
        XCTAssertFalse(ConfigurationLoader.yaml(for: configuration).contains("hunter2"))
        XCTAssertTrue(ConfigurationLoader.yaml(for: configuration).contains("\"alice\""))
        XCTAssertTrue(ConfigurationLoader.yaml(for: configuration, showSecrets: true).contains("hunter2"))
    }

    func testPrintedConfigurationMasksTheAdminTokenUnlessAsked() throws {
        let configuration = try load(overrides: [("admin.token", "hunter2")])
        XCTAssertTrue(ConfigurationLoader.yaml(for: configuration).contains("  token: \"********\"\n"))
        XCTAssertFalse(ConfigurationLoader.yaml(for: configuration).contains("hunter2"))
        XCTAssertTrue(ConfigurationLoader.yaml(for: configuration, showSecrets: true).contains("  token: \"hunter2\"\n"))
        XCTAssertTrue(ConfigurationLoader.yaml(for: NodeConfiguration()).contains("  token: \"\"\n"), "no token: nothing to mask")
    }

    func testTextWithQuotesAndControlCharactersRoundTrips() throws {
        let name = "a \"quoted\" \\ name\twith tab"
        let configuration = try load(overrides: [("stomp.server-name", name)])
        XCTAssertEqual(try load(ConfigurationLoader.yaml(for: configuration)).session.serverName, name)
    }

    func testExampleFileLoadsToTheDefaultsAndDocumentsEveryKey() throws {
        let example = ConfigurationLoader.exampleYAML()
        XCTAssertEqual(try load(example), NodeConfiguration())
        for key in ConfigurationLoader.keys {
            XCTAssertTrue(example.contains("# " + key.summary + "\n"), key.name)
            XCTAssertTrue(example.contains("# " + key.environmentVariable + "\n"), key.name)
        }
    }

    /// A file of the repository, found from this source file's place in it.
    func repositoryFile(_ path: String) throws -> String {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return try String(contentsOf: root.appendingPathComponent(path), encoding: .utf8)
    }

    /// deploy/stampede.example.yml is `stampede config example`; regenerate it when this fails.
    func testCommittedExampleFileMatchesTheKeyTable() throws {
        XCTAssertEqual(try repositoryFile("deploy/stampede.example.yml"), ConfigurationLoader.exampleYAML(),
                       "stale: regenerate with `swift run stampede config example > deploy/stampede.example.yml`")
    }

    /// The reference section of docs/configuration.md is `stampede config keys --markdown`.
    func testDocumentedReferenceMatchesTheKeyTable() throws {
        let document = try repositoryFile("docs/configuration.md")
        let begin = try XCTUnwrap(document.range(of: "<!-- BEGIN GENERATED KEYS -->\n"))
        let end = try XCTUnwrap(document.range(of: "<!-- END GENERATED KEYS -->"))
        XCTAssertEqual(String(document[begin.upperBound..<end.lowerBound]), "\n" + ConfigurationLoader.markdownReference() + "\n",
                       "stale: paste `swift run stampede config keys --markdown` between the markers in docs/configuration.md")
    }
}
