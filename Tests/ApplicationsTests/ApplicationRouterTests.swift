import XCTest
import Applications
import Router

final class ApplicationRouterTests: XCTestCase {
    func testByDefaultEveryAppDestinationGoesToStompServicesThroughTheFallbackRoute() {
        var router = ApplicationRouter(settings: ApplicationSettings())
        XCTAssertEqual(router.decide("/app/chat.send"), .stompService(ApplicationRoute(pattern: "/app/**")))
        XCTAssertEqual(router.decide("/app/a/b/c"), .stompService(ApplicationRoute(pattern: "/app/**")))
        XCTAssertEqual(router.routes.map(\.pattern), ["/app/**"])
    }

    func testDestinationsOutsideTheApplicationPrefixesAreNotApplicationDestinations() {
        var router = ApplicationRouter(settings: ApplicationSettings())
        XCTAssertEqual(router.decide("/topic/x"), .notApplication)
        XCTAssertEqual(router.decide("/apple/x"), .notApplication)
        XCTAssertEqual(router.decide("/app"), .notApplication)
        XCTAssertTrue(router.isApplicationDestination("/app/x"))
        XCTAssertFalse(router.isApplicationDestination("/application/x"))
    }

    func testPrefixesWithATrailingSlashAreTheSamePrefix() {
        var router = ApplicationRouter(settings: ApplicationSettings(prefixes: ["/app/", "/rpc"]))
        XCTAssertEqual(router.settings.prefixes, ["/app", "/rpc"])
        XCTAssertEqual(router.decide("/rpc/sum"), .stompService(ApplicationRoute(pattern: "/rpc/**")))
        XCTAssertEqual(router.decide("/app/x"), .stompService(ApplicationRoute(pattern: "/app/**")))
    }

    func testConfiguredRoutesChooseTheirTargetAndTheFallbackTakesTheRest() {
        let hook = WebhookTarget(url: "http://127.0.0.1:9000/orders")
        let settings = ApplicationSettings(routes: [
            ApplicationRoute(pattern: "/app/orders.**", target: .webhook(hook)),
            ApplicationRoute(pattern: "/app/chat.**"),
        ])
        var router = ApplicationRouter(settings: settings)
        XCTAssertEqual(router.decide("/app/orders.create"), .webhook(settings.routes[0], hook))
        XCTAssertEqual(router.decide("/app/chat.send"), .stompService(settings.routes[1]))
        XCTAssertEqual(router.decide("/app/orders"), .webhook(settings.routes[0], hook))
        XCTAssertEqual(router.decide("/app/other"), .stompService(ApplicationRoute(pattern: "/app/**")))
    }

    func testAnExactRouteBeatsPatternsAndTheMostSpecificPatternWinsWhateverTheOrder() {
        let hook = WebhookTarget(url: "https://backend.example/hook")
        let settings = ApplicationSettings(routes: [
            ApplicationRoute(pattern: "/app/chat.*"),
            ApplicationRoute(pattern: "/app/chat.**", target: .webhook(hook)),
            ApplicationRoute(pattern: "/app/chat.history", target: .webhook(hook)),
        ])
        var router = ApplicationRouter(settings: settings)
        XCTAssertEqual(router.decide("/app/chat.history"), .webhook(settings.routes[2], hook))
        XCTAssertEqual(router.decide("/app/chat.send"), .stompService(settings.routes[0]))
        XCTAssertEqual(router.decide("/app/chat.room.send"), .webhook(settings.routes[1], hook))
        var reversed = ApplicationRouter(settings: ApplicationSettings(routes: settings.routes.reversed()))
        XCTAssertEqual(reversed.decide("/app/chat.send"), .stompService(settings.routes[0]))
        XCTAssertEqual(reversed.routes.map(\.pattern), ["/app/chat.history", "/app/chat.*", "/app/chat.**", "/app/**"])
    }

    func testAConfiguredCatchAllReplacesTheFallback() {
        let hook = WebhookTarget(url: "http://h/x")
        var router = ApplicationRouter(settings: ApplicationSettings(routes: [ApplicationRoute(pattern: "/app/**", target: .webhook(hook))]))
        XCTAssertEqual(router.routes.count, 1)
        XCTAssertEqual(router.decide("/app/y"), .webhook(ApplicationRoute(pattern: "/app/**", target: .webhook(hook)), hook))
        XCTAssertEqual(router.servicePatterns, [])
    }

    func testServicesSubscribeToExactlyTheRoutePatternOfAStompServiceRoute() {
        let hook = WebhookTarget(url: "http://h/x")
        let router = ApplicationRouter(settings: ApplicationSettings(routes: [
            ApplicationRoute(pattern: "/app/chat.**"), ApplicationRoute(pattern: "/app/hook.**", target: .webhook(hook)),
        ]))
        XCTAssertEqual(router.serviceRoute(subscribedAs: "/app/chat.**")?.pattern, "/app/chat.**")
        XCTAssertNil(router.serviceRoute(subscribedAs: "/app/chat.send"))
        XCTAssertNil(router.serviceRoute(subscribedAs: "/app/hook.**"))
        XCTAssertEqual(router.servicePatterns, ["/app/chat.**", "/app/**"])
    }

    func testRouteTargetsHaveAConfigurationSpelling() {
        XCTAssertEqual(ApplicationRoute.target(fromText: "stomp-service"), .stompService)
        XCTAssertEqual(ApplicationRoute.target(fromText: "webhook:http://127.0.0.1:8080/x"), .webhook(WebhookTarget(url: "http://127.0.0.1:8080/x")))
        XCTAssertNil(ApplicationRoute.target(fromText: "webhook:ftp://x"))
        XCTAssertNil(ApplicationRoute.target(fromText: "webhook:"))
        XCTAssertNil(ApplicationRoute.target(fromText: "queue"))
        XCTAssertEqual(ApplicationRoute(pattern: "/app/x", target: .webhook(WebhookTarget(url: "https://a/b"))).targetText, "webhook:https://a/b")
    }
}
