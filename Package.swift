// swift-tools-version: 6.0
import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "Stampede",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "stampede", targets: ["stampede"]),
        // The pure parsers, for the fuzzing package in Fuzz/.
        // A node inside your own Swift program, with /app handlers as closures.
        .library(name: "StampedeEmbedded", targets: ["StampedeEmbedded"]),
        .library(name: "StampedeWire", targets: ["HTTPWire", "WebSocketWire", "STOMPWire", "ClusterBus", "SockJSWire"]),
        // For the fuzz package too: the authorization rules and the broker they guard.
        .library(name: "StampedeAccessRules", targets: ["AccessRules", "Broker", "Router"]),
        // The Swift client: async/await STOMP over WebSocket and TCP with automatic reconnect.
        .library(name: "StampedeClient", targets: ["StampedeClient"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
        .package(url: "https://github.com/vapor/jwt-kit", from: "5.8.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        // The client's transport only (the node stays on libuv): TCP/TLS and the WebSocket client.
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/hummingbird-project/swift-websocket", from: "1.6.2"),
    ],
    targets: [
        // System libraries (Debian: libuv1-dev, libhiredis-dev, libssl-dev, libcurl4-openssl-dev, zlib1g-dev). Nothing else lives here.
        .systemLibrary(name: "CLibUV", pkgConfig: "libuv", providers: [.apt(["libuv1-dev"])]),
        .systemLibrary(name: "CHiredis", providers: [.apt(["libhiredis-dev"])]),
        .systemLibrary(name: "CCrypto", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CCurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(name: "CZlib", providers: [.apt(["zlib1g-dev"])]),

        // The version string, written once (CLI, CONNECTED `server`, admin, metrics, logs).
        .target(name: "BuildInfo", swiftSettings: strict),

        // Log output formats for the executables (JSON lines next to swift-log's text handler).
        .target(name: "LogOutput", dependencies: [.product(name: "Logging", package: "swift-log")], swiftSettings: strict),

        // Pure protocol and routing logic: bytes in, values or actions out. No I/O, no logging.
        .target(name: "HTTPWire", swiftSettings: strict),
        .target(name: "WebSocketWire", dependencies: ["HTTPWire"], swiftSettings: strict),
        .target(name: "STOMPWire", swiftSettings: strict),
        // SockJS server protocol: frames, JSON quoting, routes, transports' framing, the session state machine.
        .target(name: "SockJSWire", dependencies: ["HTTPWire"], swiftSettings: strict),
        .target(name: "SockJSServer", dependencies: ["SockJSWire", "HTTPWire", "WebSocketWire", "STOMPWire", "UVLoop", "JSONMessages"], swiftSettings: strict),
        .target(name: "Router", swiftSettings: strict),
        .target(name: "Broker", dependencies: ["STOMPWire", "Router"], swiftSettings: strict),
        .target(name: "ClusterBus", dependencies: ["STOMPWire", "Router"], swiftSettings: strict),
        .target(name: "OfflineMessages", dependencies: ["ClusterBus", "STOMPWire"], swiftSettings: strict),
        .target(name: "ClusterRedis", dependencies: ["ClusterBus", "OfflineMessages", "RedisClient", "UVLoop", "Router"], swiftSettings: strict),
        .target(name: "STOMPSession", dependencies: ["STOMPWire", "Broker", "BuildInfo"], swiftSettings: strict),
        // Authorization rules: who may subscribe or send where, in the broker's wildcard syntax
        // (pure; no jwt-kit, so the fuzz package can link it).
        .target(name: "AccessRules", dependencies: ["Broker", "Router"], swiftSettings: strict),
        // Identity: token verification (jwt-kit), password hashes, token sources, rate buckets.
        // Pure: values in, decisions out.
        .target(
            name: "Auth",
            dependencies: [
                "Broker", "Router",
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
            ],
            swiftSettings: strict
        ),
        // Application destinations: the route table and what a backend call carries (pure).
        .target(name: "Applications", dependencies: ["STOMPWire", "Router"], swiftSettings: strict),
        // Flow control and the memory budget: watermarks, fair shares, slow consumers, frame deadlines (pure).
        .target(name: "FlowControl", swiftSettings: strict),
        // JSON values read field by field (unknown fields and wrong types are errors).
        .target(name: "JSONMessages", swiftSettings: strict),
        // The plain JSON WebSocket protocol: client messages → broker actions, deliveries → JSON, pings (pure).
        .target(name: "JSONProtocol", dependencies: ["STOMPWire", "JSONMessages"], swiftSettings: strict),
        // Webhooks: the JSON of calls, answers, connect hook and events; retry policy; the per-node bound.
        .target(name: "Webhooks", dependencies: ["Applications", "JSONMessages", "STOMPWire"], swiftSettings: strict),
        // The server HTTP API: request → operation (auth, validation, JSON), operation results → responses.
        .target(name: "ServerAPI", dependencies: ["HTTPWire", "JSONMessages", "Applications", "STOMPWire"], swiftSettings: strict),

        // The client's STOMP state machine: frames in, actions out, injected clock (pure).
        .target(name: "STOMPClientSession", dependencies: ["STOMPWire"], swiftSettings: strict),
        // The Swift client library: async API and the swift-nio transports (ws, wss, stomp, stomp+ssl).
        .target(
            name: "StampedeClient",
            dependencies: [
                "STOMPClientSession", "STOMPWire",
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "WSClient", package: "swift-websocket"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),

        // The thin shell: libuv loop, sockets, timers, signals, the batched write path.
        .target(name: "UVLoop", dependencies: ["CLibUV"], swiftSettings: strict),
        // TLS: OpenSSL through memory BIOs, driven by the loop (no blocking handshake, no thread).
        .target(name: "TLS", dependencies: ["CCrypto", "UVLoop"], swiftSettings: strict),
        .target(name: "RedisClient", dependencies: ["UVLoop", "CHiredis", "CLibUV"], swiftSettings: strict),
        // permessage-deflate's compression: zlib (a pure computation, but C, so not in WebSocketWire).
        .target(name: "WebSocketDeflate", dependencies: ["WebSocketWire", "CZlib"], swiftSettings: strict),
        // HTTP requests from the node (webhooks): libcurl's multi-socket interface on the loop.
        .target(name: "HTTPClient", dependencies: ["UVLoop", "CCurl", "CLibUV"], swiftSettings: strict),

        // One-request-per-connection HTTP listener shared by the admin endpoint and the server API.
        .target(name: "HTTPServer", dependencies: ["UVLoop", "HTTPWire", .product(name: "Logging", package: "swift-log")], swiftSettings: strict),
        // The operations HTTP endpoint: health, readiness, metrics, admin JSON views and the dashboard.
        .target(
            name: "Admin",
            dependencies: ["HTTPServer", "UVLoop", "HTTPWire", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict
        ),

        // Composition of a node: listeners → connections → sessions → broker.
        .target(
            name: "Gateway",
            dependencies: [
                "UVLoop", "HTTPWire", "HTTPServer", "WebSocketWire", "STOMPWire", "Router", "Broker", "STOMPSession", "ClusterBus", "ClusterRedis", "OfflineMessages", "RedisClient", "CCrypto", "BuildInfo", "Admin", "Applications", "TLS", "LogOutput", "FlowControl", "Auth", "AccessRules", "Webhooks", "JSONMessages", "HTTPClient", "ServerAPI", "WebSocketDeflate", "JSONProtocol", "SockJSWire", "SockJSServer",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "StampedeEmbedded",
            dependencies: ["Gateway", "Applications", "UVLoop", "STOMPWire", "Broker", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict
        ),
        // The Swift client example: a backend service answering /app/echo (built in CI).
        .executableTarget(name: "stampede-client-example", dependencies: ["StampedeClient", "STOMPClientSession"], path: "examples/client-service", swiftSettings: strict),
        .executableTarget(
            name: "stampede-embedded-example",
            dependencies: ["StampedeEmbedded", "Gateway", "Applications", .product(name: "Logging", package: "swift-log")],
            path: "examples/embedded",
            swiftSettings: strict
        ),
        .executableTarget(
            name: "stampede",
            dependencies: [
                "Gateway", "Admin", "BuildInfo", "LogOutput", "Auth", "StampedeClient", "STOMPClientSession", "STOMPWire",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),
        // One StampedeClient connection's publish and receive rates and idle memory (issue 14).
        .executableTarget(name: "stampede-client-bench", dependencies: ["StampedeClient", "STOMPClientSession", "STOMPWire"], swiftSettings: strict),
        .executableTarget(name: "stampede-bench", dependencies: ["UVLoop", "TLS", "STOMPWire", "WebSocketWire", "WebSocketDeflate", "HTTPWire", .product(name: "ArgumentParser", package: "swift-argument-parser"), .product(name: "Histogram", package: "hdrhistogram-swift")], swiftSettings: strict),

        .testTarget(name: "TLSTests", dependencies: ["TLS", "UVLoop", "TestSupport"]),
        .testTarget(name: "LogOutputTests", dependencies: ["LogOutput", .product(name: "Logging", package: "swift-log")]),
        .testTarget(name: "HTTPWireTests", dependencies: ["HTTPWire"]),
        .testTarget(name: "WebSocketWireTests", dependencies: ["WebSocketWire", "HTTPWire"]),
        .testTarget(name: "WebSocketDeflateTests", dependencies: ["WebSocketDeflate", "WebSocketWire", "HTTPWire"]),
        .testTarget(name: "SockJSWireTests", dependencies: ["SockJSWire", "HTTPWire"]),
        .testTarget(name: "SockJSServerTests", dependencies: ["SockJSServer", "SockJSWire"]),
        .testTarget(name: "STOMPWireTests", dependencies: ["STOMPWire"]),
        .testTarget(name: "RouterTests", dependencies: ["Router"]),
        .testTarget(name: "BrokerTests", dependencies: ["Broker", "STOMPWire", "Router"]),
        .testTarget(name: "ClusterBusTests", dependencies: ["ClusterBus", "STOMPWire"]),
        .testTarget(name: "OfflineMessagesTests", dependencies: ["OfflineMessages", "ClusterBus", "STOMPWire"]),
        .testTarget(name: "ClusterRedisTests", dependencies: ["ClusterRedis", "ClusterBus", "OfflineMessages", "UVLoop", "TestSupport"]),
        .testTarget(name: "ServerAPITests", dependencies: ["ServerAPI", "HTTPWire", "JSONMessages", "Applications"]),
        .testTarget(name: "WebhooksTests", dependencies: ["Webhooks", "Applications", "JSONMessages", "STOMPWire"]),
        .testTarget(name: "ApplicationsTests", dependencies: ["Applications", "STOMPWire", "Router"]),
        .testTarget(name: "FlowControlTests", dependencies: ["FlowControl"]),
        .testTarget(name: "JSONProtocolTests", dependencies: ["JSONProtocol", "JSONMessages", "STOMPWire"]),
        .testTarget(name: "AccessRulesTests", dependencies: ["AccessRules", "Broker", "Router"]),
        .testTarget(name: "AuthTests", dependencies: [
            "Auth", "Broker", "Router", .product(name: "JWTKit", package: "jwt-kit"),
            .product(name: "Crypto", package: "swift-crypto"), .product(name: "CryptoExtras", package: "swift-crypto"),
        ]),
        .testTarget(name: "STOMPClientSessionTests", dependencies: ["STOMPClientSession", "STOMPWire"]),
        .testTarget(name: "StampedeClientTests", dependencies: ["StampedeClient", "STOMPClientSession", "STOMPWire", "stampede", "TestSupport"]),
        .testTarget(name: "STOMPSessionTests", dependencies: ["STOMPSession", "STOMPWire", "Broker"]),
        // Test helpers shared by test targets (a real redis-server on a free port).
        .target(name: "TestSupport", dependencies: ["RedisClient", "UVLoop"], path: "Tests/TestSupport"),
        .testTarget(name: "RedisClientTests", dependencies: ["RedisClient", "UVLoop", "TestSupport"]),
        .testTarget(name: "HTTPClientTests", dependencies: ["HTTPClient", "UVLoop", "HTTPWire", "TestSupport"]),
        .testTarget(name: "UVLoopTests", dependencies: ["UVLoop", "CLibUV", "TestSupport"]),
        .testTarget(
            name: "GatewayTests",
            dependencies: ["Gateway", "Admin", "Auth", "Broker", "stampede", "TestSupport", "ClusterBus", "STOMPWire", "WebSocketWire", "HTTPWire", "UVLoop", .product(name: "Logging", package: "swift-log")]
        ),
    ]
)
