import XCTest
import Gateway

/// `port=` and `tls=` in `listen.endpoints`, `api.tls`, and the rules that tie them to other keys.
/// Tests/Interop/test_tls_endpoints.py serves them to real TLS clients.
final class EndpointListenerConfigurationTests: ConfigurationTestCase {
    func testAnEndpointOnItsOwnPortWithTLSReadsAndPrintsBack() throws {
        let endpoint = try XCTUnwrap(EndpointConfiguration(name: "secure", spec: "path=/ws/secure auth=token port=15690 tls=on"))
        XCTAssertEqual(endpoint.port, 15690)
        XCTAssertTrue(endpoint.tls)
        XCTAssertEqual(EndpointConfiguration(name: "secure", spec: endpoint.spec), endpoint)
        let plain = try XCTUnwrap(EndpointConfiguration(name: "p", spec: "path=/ws/p port=15691 tls=off"))
        XCTAssertFalse(plain.tls)
        XCTAssertFalse(plain.spec.contains("tls"))
    }

    func testAJSONEndpointWithTheUserIDParameterReadsAndPrintsBack() throws {
        let endpoint = try XCTUnwrap(EndpointConfiguration(name: "json", spec: "path=/api/ws/connect protocol=json user-id-param=on"))
        XCTAssertEqual(endpoint.wireProtocol, .json)
        XCTAssertTrue(endpoint.userIDParameter)
        XCTAssertEqual(EndpointConfiguration(name: "json", spec: endpoint.spec), endpoint)
        XCTAssertEqual(try XCTUnwrap(EndpointConfiguration(name: "ws", spec: "path=/ws")).wireProtocol, .stomp)
    }

    func testASockJSEndpointReadsAndPrintsBackOnWebSocketEndpointsOnly() throws {
        let endpoint = try XCTUnwrap(EndpointConfiguration(name: "chat", spec: "path=/ws/chat auth=token sockjs=on"))
        XCTAssertTrue(endpoint.sockJS)
        XCTAssertEqual(EndpointConfiguration(name: "chat", spec: endpoint.spec), endpoint)
        XCTAssertFalse(try XCTUnwrap(EndpointConfiguration(name: "ws", spec: "path=/ws")).sockJS, "SockJS is off unless asked for")
        XCTAssertNil(EndpointConfiguration(name: "a", spec: "kind=stomp sockjs=on"))
        XCTAssertEqual(EndpointConfiguration(name: "a", spec: "path=/ws protocol=json sockjs=on")?.sockJS, true, "SockJS carries the JSON protocol too")
        XCTAssertNil(EndpointConfiguration(name: "a", spec: "path=/ws sockjs=maybe"))
    }

    func testListenSockJSTurnsSockJSOnForTheDefaultEndpoint() throws {
        let configuration = try load(overrides: [("listen.sockjs", "on")])
        XCTAssertEqual(configuration.effectiveEndpoints.first { $0.kind == .webSocket }?.sockJS, true)
        XCTAssertEqual(try load(overrides: []).effectiveEndpoints.first { $0.kind == .webSocket }?.sockJS, false)
    }

    func testTheJSONProtocolOnRawSTOMPAndTheUserIDParameterWithoutItAreRefused() {
        XCTAssertNil(EndpointConfiguration(name: "a", spec: "kind=stomp protocol=json"))
        XCTAssertNil(EndpointConfiguration(name: "a", spec: "path=/ws user-id-param=on"), "user_id is the JSON protocol's development shortcut")
        XCTAssertNil(EndpointConfiguration(name: "a", spec: "path=/ws protocol=mqtt"))
        XCTAssertNil(EndpointConfiguration(name: "a", spec: "path=/ws protocol=json user-id-param=maybe"))
    }

    func testTLSWithoutAPortOfItsOwnAndPortsOnRawSTOMPAreRefused() {
        XCTAssertNil(EndpointConfiguration(name: "a", spec: "path=/ws tls=on"), "a shared listener cannot be TLS for one endpoint only")
        XCTAssertNil(EndpointConfiguration(name: "a", spec: "kind=stomp port=6000"), "listen.stomp-port is the raw STOMP port")
        XCTAssertNil(EndpointConfiguration(name: "a", spec: "path=/ws port=0"))
        XCTAssertNil(EndpointConfiguration(name: "a", spec: "path=/ws port=65536"))
        XCTAssertNil(EndpointConfiguration(name: "a", spec: "path=/ws port=9000 tls=maybe"))
        XCTAssertNotNil(loadError(overrides: [("listen.endpoints", "a:path=/ws tls=on")]))
    }

    func testAnEndpointPortTakenByAnotherListenerIsRefused() throws {
        for (key, value) in [("api.port", "9400"), ("listen.websocket-port", "9400"), ("admin.port", "9400")] {
            let error = try XCTUnwrap(loadError(overrides: [(key, value), ("listen.endpoints", "a:path=/a port=9400")]))
            XCTAssertTrue(error.description.contains("endpoint 'a'"), error.description)
        }
        let error = try XCTUnwrap(loadError(overrides: [("listen.endpoints", "a:path=/a port=9400,b:path=/b port=9400")]))
        XCTAssertTrue(error.description.contains("port 9400"), error.description)
    }

    func testATLSEndpointOrAPINeedsTheCertificate() throws {
        for overrides in [[("listen.endpoints", "a:path=/a port=9400 tls=on")], [("api.tls", "true")]] {
            let configuration = try load(overrides: overrides)
            XCTAssertTrue(configuration.usesTLS)
            XCTAssertThrowsError(try ConfigurationLoader.checkTLSConsistency(configuration)) { error in
                XCTAssertTrue("\(error)".contains("tls.cert-file"), "\(error)")
            }
        }
        let plain = try load(overrides: [("listen.endpoints", "a:path=/a port=9400")])
        XCTAssertFalse(plain.usesTLS)
    }

    func testTheSharedListenerDoesNotServeThePathsOfEndpointsWithTheirOwnPort() throws {
        let configuration = try load(overrides: [("listen.endpoints", "a:path=/a port=9400,b:path=/b")])
        XCTAssertEqual(configuration.handshakePolicy.paths, ["/b"])
    }
}
