import XCTest
import Gateway

/// `conformance.echo-path`: the echo endpoint Autobahn|Testsuite runs against exists only when
/// that key names it, only on a loopback node, and never through `listen.endpoints`.
/// Tests/Interop/test_conformance_echo.py drives it; scripts/autobahn.sh runs the suite.
final class ConformanceEchoConfigurationTests: ConfigurationTestCase {
    func testNoEchoEndpointUnlessConfigured() throws {
        let configuration = try load()
        XCTAssertNil(configuration.conformanceEchoPath)
        XCTAssertFalse(configuration.effectiveEndpoints.contains { $0.wireProtocol == .echo })
    }

    func testTheEchoPathAddsAnAnonymousEchoEndpointBesideTheOthers() throws {
        let configuration = try load(overrides: [("conformance.echo-path", "/echo")])
        let echo = try XCTUnwrap(configuration.effectiveEndpoints.first { $0.wireProtocol == .echo })
        XCTAssertEqual(echo.paths, ["/echo"])
        XCTAssertEqual(echo.authentication, [.anonymous])
        XCTAssertTrue(configuration.effectiveEndpoints.contains { $0.paths == ["/ws", "/stomp"] }, "the default endpoint stays")
        XCTAssertTrue(configuration.handshakePolicy.paths.contains("/echo"))
    }

    func testTheEchoEndpointIsRefusedOffLoopbackAndOnAnotherEndpointsPath() {
        XCTAssertNotNil(loadError(overrides: [("listen.host", "0.0.0.0"), ("conformance.echo-path", "/echo")]))
        XCTAssertNotNil(loadError(overrides: [("conformance.echo-path", "/ws")]), "it would shadow the STOMP endpoint")
        XCTAssertNotNil(loadError(overrides: [("conformance.echo-path", "echo")]), "a path starts with /")
    }

    func testListenEndpointsCannotMakeAnEchoEndpoint() {
        XCTAssertNil(EndpointConfiguration(name: "a", spec: "path=/x protocol=echo"))
    }

    func testTheSockJSConformancePathAddsTheSuitesServicesOnLoopbackOnly() throws {
        XCTAssertNil(try load().conformanceSockJSPath)
        let configuration = try load(overrides: [("conformance.sockjs-path", "/conf")])
        let raw = configuration.effectiveEndpoints.filter { $0.wireProtocol == .echo }.flatMap(\.paths).sorted()
        XCTAssertEqual(raw, ["/conf/close/websocket", "/conf/cookie_needed_echo/websocket", "/conf/disabled_websocket_echo/websocket", "/conf/echo/websocket"])
        XCTAssertNotNil(loadError(overrides: [("listen.host", "0.0.0.0"), ("conformance.sockjs-path", "/conf")]))
        XCTAssertNotNil(loadError(overrides: [("conformance.sockjs-path", "/conf/")]))
    }
}
