import XCTest
import Gateway
import STOMPWire
@testable import stampede

/// What each key accepts, rules across keys, and the named command-line flags.
final class ConfigurationValueTests: ConfigurationTestCase {
    // MARK: - Invalid values

    func testInvalidValueMessagesNameKeyValueSourceAndExpectation() {
        XCTAssertEqual(loadError("listen:\n  host: a\nlimits:\n  max-connections: abc\n")?.description,
                       "invalid value 'abc' for limits.max-connections in /etc/stampede.yml (line 4): expected a positive integer")
        XCTAssertEqual(loadError(environment: ["STAMPEDE_LIMITS_MAX_CONNECTIONS": "abc"])?.description,
                       "invalid value 'abc' for limits.max-connections in environment variable STAMPEDE_LIMITS_MAX_CONNECTIONS: expected a positive integer")
        XCTAssertEqual(loadError(overrides: [("limits.max-connections", "abc")])?.description,
                       "invalid value 'abc' for limits.max-connections on the command line: expected a positive integer")
        XCTAssertEqual(loadError(overrides: [("limits.max-connections", "abc")])?.key, "limits.max-connections")
    }

    func testPortAcceptsZeroThrough65535() throws {
        XCTAssertEqual(try load(overrides: [("listen.websocket-port", "65535")]).webSocketPort, 65535)
        XCTAssertEqual(try load(overrides: [("listen.websocket-port", "0")]).webSocketPort, 0)
        XCTAssertEqual(loadError(overrides: [("listen.websocket-port", "65536")])?.description,
                       "invalid value '65536' for listen.websocket-port on the command line: expected a port number 0-65535")
        XCTAssertEqual(loadError(overrides: [("listen.websocket-port", "-1")])?.kind, .invalidValue)
    }

    func testStompPortOffOrZeroDisablesTheListener() throws {
        XCTAssertNil(try load("listen:\n  stomp-port: off\n").stompPort)
        XCTAssertNil(try load(environment: ["STAMPEDE_LISTEN_STOMP_PORT": "OFF"]).stompPort)
        XCTAssertNil(try load(overrides: [("listen.stomp-port", "0")]).stompPort)
        XCTAssertEqual(try load(overrides: [("listen.stomp-port", "65535")]).stompPort, 65535)
        XCTAssertEqual(loadError(overrides: [("listen.stomp-port", "65536")])?.kind, .invalidValue)
        XCTAssertEqual(ConfigurationLoader.key(named: "listen.stomp-port")?.value(in: try load(overrides: [("listen.stomp-port", "off")])), .scalar("off"))
    }

    func testSizesMustBePositive() throws {
        XCTAssertEqual(try load(overrides: [("limits.stomp.max-body-bytes", "1")]).stomp.maxBodyBytes, 1)
        XCTAssertEqual(loadError(overrides: [("limits.stomp.max-body-bytes", "0")])?.description,
                       "invalid value '0' for limits.stomp.max-body-bytes on the command line: expected a positive integer up to 1073741824")
    }

    func testNonNegativeCountsAcceptZeroButNotMinusOne() throws {
        XCTAssertEqual(try load(overrides: [("stomp.max-transactions", "0")]).session.maxTransactions, 0)
        XCTAssertEqual(loadError(overrides: [("stomp.max-transactions", "-1")])?.description,
                       "invalid value '-1' for stomp.max-transactions on the command line: expected a non-negative integer")
    }

    func testIntegersAcceptUnderscoresAndRejectOverflowAndOtherForms() throws {
        XCTAssertEqual(try load("limits:\n  max-connections: 10_000\n").maxConnections, 10_000)
        for text in ["1e3", "0x10", "_1", "1_", "+5", "99999999999999999999", "", " "] {
            XCTAssertEqual(loadError(overrides: [("limits.max-connections", text)])?.kind, .invalidValue, text)
        }
    }

    func testOverflowPolicyNames() throws {
        XCTAssertEqual(try load(overrides: [("queues.overflow", "reject-new")]).broker.queueOverflow, .rejectNew)
        XCTAssertEqual(try load(overrides: [("queues.overflow", "drop-oldest")]).broker.queueOverflow, .dropOldest)
        XCTAssertEqual(loadError(overrides: [("queues.overflow", "drop_oldest")])?.description,
                       "invalid value 'drop_oldest' for queues.overflow on the command line: expected one of drop-oldest, reject-new")
    }

    func testLogLevelNames() throws {
        for level in ["trace", "debug", "info", "notice", "warning", "error", "critical"] {
            XCTAssertEqual(try load(overrides: [("log.level", level)]).logLevel, level)
        }
        XCTAssertEqual(loadError(overrides: [("log.level", "verbose")])?.description,
                       "invalid value 'verbose' for log.level on the command line: expected one of trace, debug, info, notice, warning, error, critical")
    }

    func testLogFormatIsTextByDefaultAndJSONOnRequest() throws {
        XCTAssertEqual(try load(overrides: []).logFormat, "text")
        XCTAssertEqual(try load(overrides: [("log.format", "json")]).logFormat, "json")
        XCTAssertEqual(loadError(overrides: [("log.format", "xml")])?.description,
                       "invalid value 'xml' for log.format on the command line: expected one of text, json")
    }

    func testBooleanSpellings() throws {
        for text in ["true", "yes", "on", "1", "TRUE"] {
            XCTAssertTrue(try load(overrides: [("auth.allow-anonymous", text)]).allowAnonymous, text)
        }
        XCTAssertFalse(try load("auth:\n  allow-anonymous: no\n").allowAnonymous)
        XCTAssertEqual(loadError(overrides: [("auth.allow-anonymous", "maybe")])?.description,
                       "invalid value 'maybe' for auth.allow-anonymous on the command line: expected true or false")
    }

    func testHeartBeatIsTwoIntervals() throws {
        XCTAssertEqual(try load(overrides: [("stomp.heart-beat", "0,0")]).session.heartBeat, .disabled)
        XCTAssertEqual(try load("stomp:\n  heart-beat: 5000,100\n").session.heartBeat, HeartBeat(canSend: 5000, wantsReceive: 100))
        for text in ["5000", "a,b", "1,2,3", "-1,0"] {
            XCTAssertEqual(loadError(overrides: [("stomp.heart-beat", text)])?.kind, .invalidValue, text)
        }
    }

    func testVersionsListInOrderFromSequenceOrCommaText() throws {
        XCTAssertEqual(try load("stomp:\n  versions: [1.2, 1.0]\n").session.supportedVersions, [.v1_2, .v1_0])
        XCTAssertEqual(try load(environment: ["STAMPEDE_STOMP_VERSIONS": "1.0, 1.1"]).session.supportedVersions, [.v1_0, .v1_1])
        for text in ["1.3", "1.2,1.2", ""] {
            XCTAssertEqual(loadError(overrides: [("stomp.versions", text)])?.kind, .invalidValue, text)
        }
    }

    func testWebSocketPathsMustStartWithSlashAndNotBeEmpty() throws {
        XCTAssertEqual(try load("listen:\n  websocket-paths:\n    - /ws\n").webSocketPaths, ["/ws"])
        XCTAssertEqual(loadError(overrides: [("listen.websocket-paths", "ws")])?.kind, .invalidValue)
        XCTAssertEqual(loadError("listen:\n  websocket-paths: []\n")?.kind, .invalidValue)
    }

    func testAllowedOriginsTakeStarOnlyWhenWrittenAndRejectBarePatterns() throws {
        XCTAssertFalse(NodeConfiguration().allowedOrigins.contains("*"))
        XCTAssertEqual(try load("listen:\n  allowed-origins: [\"*\"]\n").allowedOrigins, ["*"])
        XCTAssertEqual(try load(overrides: [("listen.allowed-origins", "")]).allowedOrigins, [])
        for text in ["localhost", "https://a.example/path", "https://a,,https://b"] {
            XCTAssertEqual(loadError(overrides: [("listen.allowed-origins", text)])?.kind, .invalidValue, text)
        }
    }

    func testWildcardSeparatorsAreSinglePunctuationCharacters() throws {
        XCTAssertEqual(try load(overrides: [("destinations.wildcard-separators", "/,.")]).destinationSyntax.separators,
                       [UInt8(ascii: "/"), UInt8(ascii: ".")])
        for text in ["ab", "a", "/,/", ""] {
            XCTAssertEqual(loadError(overrides: [("destinations.wildcard-separators", text)])?.kind, .invalidValue, text)
        }
    }

    func testUsersFromYAMLMappingAndFromLoginPasscodePairs() throws {
        XCTAssertEqual(try load("auth:\n  users:\n    alice: secret\n    bob: 1234\n").users, ["alice": "secret", "bob": "1234"])
        XCTAssertEqual(try load(environment: ["STAMPEDE_AUTH_USERS": "alice:secret,bob:p:w"]).users, ["alice": "secret", "bob": "p:w"])
    }

    func testMalformedUsersAreRejectedWithoutEchoingPasscodes() {
        let error = loadError(environment: ["STAMPEDE_AUTH_USERS": "alice:secret,bob"])
        XCTAssertEqual(error?.description,
                       "invalid value for auth.users in environment variable STAMPEDE_AUTH_USERS: expected a map of login to passcode (login:passcode,… in a variable or flag)")
        XCTAssertEqual(loadError(overrides: [("auth.users", ":pw")])?.kind, .invalidValue)
    }

    func testSequenceForAScalarKeyIsInvalid() {
        XCTAssertEqual(loadError("listen:\n  host: [a, b]\n")?.description,
                       "invalid value '[a, b]' for listen.host in /etc/stampede.yml (line 2): expected a non-empty string")
    }

    // MARK: - Values that do not fit together

    func testStompPortMayNotEqualWebSocketPort() {
        let error = loadError(overrides: [("listen.websocket-port", "7000"), ("listen.stomp-port", "7000")])
        XCTAssertEqual(error?.kind, .inconsistentValues)
        XCTAssertEqual(error?.description, "listen.stomp-port and listen.websocket-port are both 7000; give them different ports")
    }

    func testBothPortsZeroIsAllowed() throws {
        XCTAssertNoThrow(try load(overrides: [("listen.websocket-port", "0"), ("listen.stomp-port", "0")]))
    }

    func testStompBodyLimitMayNotExceedFrameLimit() throws {
        XCTAssertNoThrow(try load(overrides: [("limits.stomp.max-frame-bytes", "100"), ("limits.stomp.max-body-bytes", "100")]))
        XCTAssertEqual(loadError(overrides: [("limits.stomp.max-frame-bytes", "100"), ("limits.stomp.max-body-bytes", "101")])?.description,
                       "limits.stomp.max-body-bytes (101) exceeds limits.stomp.max-frame-bytes (100)")
    }

    func testDestinationPrefixesMustDiffer() {
        XCTAssertEqual(loadError(overrides: [("destinations.queue-prefix", "/x/"), ("destinations.user-prefix", "/x/")])?.description,
                       "destinations.queue-prefix and destinations.user-prefix are both '/x/'")
    }

    // MARK: - Cluster

    func testRedisURLIsHostWithOptionalPort() throws {
        let cases: [(String, String, Int)] = [
            ("redis://127.0.0.1:6390", "127.0.0.1", 6390), ("redis://redis", "redis", 6379), ("redis://r-1.example_x:1", "r-1.example_x", 1),
            ("redis://h:65535", "h", 65535), ("redis://[::1]:7000", "::1", 7000), ("redis://[fe80::1]", "fe80::1", 6379),
            ("redis://stampede:pw@h:7/3", "h", 7), ("redis://:pw@[::1]", "::1", 6379), ("redis://h:1/", "h", 1),
        ]
        for (url, host, port) in cases {
            let configuration = try load(overrides: [("cluster.redis-url", url)])
            XCTAssertEqual(configuration.redisURL, url)
            XCTAssertEqual(configuration.redisEndpoint?.host, host, url)
            XCTAssertEqual(configuration.redisEndpoint?.port, port, url)
        }
    }

    func testRedisURLRejectsOtherForms() {
        let urls = ["http://h:1", "redis://", "redis://:6379", "redis://h:0", "redis://h:65536", "redis://h:", "redis://h:x", "redis://u@h",
                    "redis://h/x", "redis://u:@h", "redis://[::1", "redis://[::1]x", "redis://::1", "redis://[h]", "127.0.0.1:6379", "rediss://h"]
        for url in urls {
            XCTAssertEqual(loadError(overrides: [("cluster.redis-url", url)])?.kind, .invalidValue, url)
        }
        // The URL may hold a password: the error does not repeat it.
        XCTAssertEqual(loadError(overrides: [("cluster.redis-url", "http://u:secret@h:1")])?.description,
                       "invalid value for cluster.redis-url on the command line: expected redis://[[user]:password@]host[:port][/db] (port 1-65535, default 6379), or empty for a single node")
    }

    func testEmptyRedisURLMeansASingleNode() throws {
        XCTAssertNil(NodeConfiguration().redisURL)
        XCTAssertNil(NodeConfiguration().redisEndpoint)
        let environment = ["STAMPEDE_CLUSTER_REDIS_URL": "redis://a"]
        XCTAssertEqual(try load(environment: environment).redisURL, "redis://a")
        XCTAssertNil(try load(environment: environment, overrides: [("cluster.redis-url", "")]).redisURL)
        XCTAssertNil(try load("cluster:\n  redis-url:\n").redisURL)
        XCTAssertNil(try load("cluster:\n  redis-url: \"\"\n").redisURL)
        XCTAssertNil(try load("cluster:\n  redis-url: ~\n").redisURL)
    }

    func testNodeIDIsOneTo64SafeCharacters() throws {
        let longest = String(repeating: "n", count: 64)
        XCTAssertEqual(try load(overrides: [("cluster.node-id", longest)]).nodeID, longest)
        XCTAssertEqual(try load(overrides: [("cluster.node-id", "a")]).nodeID, "a")
        XCTAssertEqual(try load(overrides: [("cluster.node-id", "Node-1.eu_west")]).nodeID, "Node-1.eu_west")
        XCTAssertNil(try load(overrides: [("cluster.node-id", "")]).nodeID, "empty derives one at startup")
        XCTAssertEqual(loadError(overrides: [("cluster.node-id", longest + "n")])?.description,
                       "invalid value '\(longest)n' for cluster.node-id on the command line: expected 1-64 characters of A-Z a-z 0-9 . _ -, or empty to derive one")
        for id in ["node 1", "node/1", "n:1", "nöde", "n*"] {
            XCTAssertEqual(loadError(overrides: [("cluster.node-id", id)])?.kind, .invalidValue, id)
        }
    }

    func testAdvertisedAddressAndKeyPrefixRejectSpaces() throws {
        XCTAssertEqual(try load(overrides: [("cluster.advertised-address", "node1.example:443")]).advertisedAddress, "node1.example:443")
        XCTAssertNil(try load(overrides: [("cluster.advertised-address", "")]).advertisedAddress)
        XCTAssertEqual(loadError(overrides: [("cluster.advertised-address", "a b")])?.kind, .invalidValue)
        XCTAssertEqual(try load(overrides: [("cluster.key-prefix", "prod:eu")]).redisKeyPrefix, "prod:eu")
        XCTAssertEqual(loadError(overrides: [("cluster.key-prefix", "")])?.description,
                       "invalid value '' for cluster.key-prefix on the command line: expected a non-empty string without spaces")
        XCTAssertEqual(loadError(overrides: [("cluster.key-prefix", "a b")])?.kind, .invalidValue)
    }

    func testClusterIntervalsArePositiveExceptTheGrace() throws {
        XCTAssertEqual(try load(overrides: [("cluster.interest-grace-ms", "0")]).interestGraceMilliseconds, 0)
        XCTAssertEqual(loadError(overrides: [("cluster.interest-grace-ms", "-1")])?.kind, .invalidValue)
        let positive = ["cluster.heartbeat-ms", "cluster.node-timeout-ms", "cluster.pull-batch", "cluster.redis-reconnect-max-ms",
                        "cluster.redis-connect-timeout-ms", "cluster.redis-ping-interval-ms", "cluster.redis-timeout-ms", "cluster.redis-stall-reconnect-ms"]
        for key in positive {
            XCTAssertEqual(loadError(overrides: [(key, "0")])?.description,
                           "invalid value '0' for \(key) on the command line: expected a positive integer")
        }
        XCTAssertEqual(try load(overrides: [("cluster.redis-reconnect-max-ms", "1")]).redisReconnectMaxMilliseconds, 1)
        XCTAssertEqual(try load(overrides: [("cluster.redis-connect-timeout-ms", "1")]).redisConnectTimeoutMilliseconds, 1)
        XCTAssertEqual(try load(overrides: [("cluster.pull-batch", "1")]).clusterPullBatch, 1)
    }

    func testNodeTimeoutMustExceedHeartbeat() throws {
        let configuration = try load(overrides: [("cluster.heartbeat-ms", "1000"), ("cluster.node-timeout-ms", "1001")])
        XCTAssertEqual(configuration.nodeTimeoutMilliseconds, 1001)
        let error = loadError(overrides: [("cluster.heartbeat-ms", "1000"), ("cluster.node-timeout-ms", "1000")])
        XCTAssertEqual(error?.kind, .inconsistentValues)
        XCTAssertEqual(error?.key, "cluster.node-timeout-ms")
        XCTAssertEqual(error?.description, "cluster.node-timeout-ms (1000) must be greater than cluster.heartbeat-ms (1000)")
        XCTAssertEqual(loadError(environment: ["STAMPEDE_CLUSTER_HEARTBEAT_MS": "5000"])?.description,
                       "cluster.node-timeout-ms (5000) must be greater than cluster.heartbeat-ms (5000)", "against the default timeout")
    }

    // MARK: - Admin

    func testAdminPortOffOrZeroDisablesTheEndpoint() throws {
        XCTAssertEqual(NodeConfiguration().adminPort, 15675)
        XCTAssertNil(try load("admin:\n  port: off\n").adminPort)
        XCTAssertNil(try load(environment: ["STAMPEDE_ADMIN_PORT": "0"]).adminPort)
        XCTAssertEqual(try load(overrides: [("admin.port", "65535")]).adminPort, 65535)
        XCTAssertEqual(try load(overrides: [("admin.port", "1")]).adminPort, 1)
        XCTAssertEqual(loadError(overrides: [("admin.port", "65536")])?.kind, .invalidValue)
    }

    func testAdminPortMustDifferFromTheClientPorts() throws {
        XCTAssertEqual(loadError(overrides: [("admin.port", "15674")])?.description,
                       "admin.port and listen.websocket-port are both 15674; give them different ports")
        XCTAssertEqual(loadError(overrides: [("admin.port", "61613")])?.description,
                       "admin.port and listen.stomp-port are both 61613; give them different ports")
        XCTAssertEqual(try load(overrides: [("listen.stomp-port", "off"), ("admin.port", "61613")]).adminPort, 61613)
        XCTAssertNil(try load(overrides: [("admin.port", "off"), ("listen.websocket-port", "15675")]).adminPort)
    }

    func testAdminOutsideLoopbackRequiresAToken() throws {
        for host in ["127.0.0.1", "127.9.9.9", "localhost", "::1"] {
            XCTAssertNoThrow(try load(overrides: [("admin.host", host)]), host)
        }
        let error = loadError(overrides: [("admin.host", "0.0.0.0")])
        XCTAssertEqual(error?.kind, .inconsistentValues)
        XCTAssertEqual(error?.key, "admin.token")
        XCTAssertEqual(error?.description, "admin.host 0.0.0.0 is not a loopback address, so admin.token must be set")
        XCTAssertEqual(try load(overrides: [("admin.host", "0.0.0.0"), ("admin.token", "t0ken")]).adminToken, "t0ken")
        XCTAssertNil(try load(overrides: [("admin.host", "0.0.0.0"), ("admin.port", "off")]).adminPort, "no endpoint, no token needed")
    }

    func testAdminTokenIsVisibleASCIIAndNeverEchoed() throws {
        XCTAssertEqual(try load(environment: ["STAMPEDE_ADMIN_TOKEN": "a-Z_0~!"]).adminToken, "a-Z_0~!")
        XCTAssertNil(try load(overrides: [("admin.token", "")]).adminToken)
        for token in ["with space", "tab\there", "naïve"] {
            let error = loadError(overrides: [("admin.token", token)])
            XCTAssertEqual(error?.description, "invalid value for admin.token on the command line: expected printable ASCII without spaces, or empty for none")
        }
    }

    // MARK: - Named flags

    func testClusterFlagsSetTheirKeys() throws {
        let options = try ConfigurationOptions.parse(["--redis", "redis://127.0.0.1:6390", "--node-id", "node1", "--admin-port", "15691"])
        let configuration = try ConfigurationLoader.load(file: nil, environment: [:], overrides: options.overrides())
        XCTAssertEqual(configuration.redisURL, "redis://127.0.0.1:6390")
        XCTAssertEqual(configuration.nodeID, "node1")
        XCTAssertEqual(configuration.adminPort, 15691)
        let off = try ConfigurationOptions.parse(["--admin-port", "off"])
        XCTAssertNil(try ConfigurationLoader.load(file: nil, environment: [:], overrides: off.overrides()).adminPort)
    }

    func testNamedFlagsComeBeforeSet() throws {
        let options = try ConfigurationOptions.parse(["--set", "cluster.node-id=second", "--node-id", "first"])
        XCTAssertEqual(options.overrides().map(\.key), ["cluster.node-id", "cluster.node-id"])
        XCTAssertEqual(try ConfigurationLoader.load(file: nil, environment: [:], overrides: options.overrides()).nodeID, "second")
    }
}

final class ConfigurationSizeCapTests: XCTestCase {
    func testByteSizesAreCappedAtOneGibibyte() throws {
        XCTAssertNoThrow(try ConfigurationLoader.load(file: nil, overrides: [("limits.stomp.max-frame-bytes", "1073741824")]))
        XCTAssertThrowsError(try ConfigurationLoader.load(file: nil, overrides: [("limits.stomp.max-frame-bytes", "9223372036854775807")])) {
            XCTAssertTrue("\($0)".contains("up to 1073741824"), "\($0)")
        }
    }

    func testHeaderLinesFitTheClusterEnvelope() throws {
        XCTAssertNoThrow(try ConfigurationLoader.load(file: nil, overrides: [("limits.stomp.max-header-line-bytes", "65535")]))
        XCTAssertThrowsError(try ConfigurationLoader.load(file: nil, overrides: [("limits.stomp.max-header-line-bytes", "65536")]))
    }
}
