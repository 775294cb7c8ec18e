internal import Auth
internal import AccessRules

extension ConfigurationLoader {
    /// `listen.endpoints`: name → one-line endpoint spec.
    static var endpointsKey: ConfigurationKey {
        ConfigurationKey("listen.endpoints", shape: .map, type: "map",
                         expected: "a map of endpoint name to 'path=/ws/x auth=token|users|anonymous|self-named tokens=query|bearer|cookie|connect roles=a|b origins=https://x port=N tls=on|off protocol=stomp|json user-id-param=on sockjs=on' (or 'kind=stomp …'; tls only with port; user-id-param only with protocol=json, for development; sockjs=on serves SockJS under the paths, with STOMP or the JSON protocol inside)",
                         isText: true,
                         "Named endpoints with their paths, authentication, token sources, granted roles, Origins and optionally a listener port of their own with or without TLS; empty: 'websocket' on listen.websocket-paths and 'stomp' on listen.stomp-port.",
                         read: { configuration in
                             var pairs: [String: String] = [:]
                             for endpoint in configuration.endpoints { pairs[endpoint.name] = endpoint.spec }
                             return .map(pairs)
                         }) { configuration, value in
            guard case .map(let pairs) = value else { return false }
            var endpoints: [EndpointConfiguration] = []
            for (name, spec) in pairs.sorted(by: { $0.key < $1.key }) {
                guard let endpoint = EndpointConfiguration(name: name, spec: spec.trimmingSpaces) else { return false }
                endpoints.append(endpoint)
            }
            configuration.endpoints = endpoints
            return true
        }
    }

    static var authKeys: [ConfigurationKey] {
        [
            ConfigurationKey("auth.users", shape: .map, type: "map", expected: "a map of login to passcode (login:passcode,… in a variable or flag)",
                             isText: true, isSecret: true, "Plaintext logins and passcodes (tests only; prefer auth.users-file); empty: none.",
                             read: { .map($0.users) }) { configuration, value in
                guard case .map(let users) = value, users.keys.allSatisfy({ !$0.isEmpty }) else { return false }
                configuration.users = users
                return true
            },
            .optionalText("auth.users-file", \.usersFile, type: "path", expected: "a file path, or empty for none", isValid: { !$0.isEmpty },
                          "Users file written by 'stampede passwd' (name:pbkdf2-sha256$…[:roles] lines); empty: none."),
            .boolean("auth.allow-anonymous", \.allowAnonymous, "With users or tokens configured: whether a CONNECT without credentials is still accepted (anonymous session)."),
            .optionalText("auth.jwt.secret", \.jwtSecret, expected: "at least 32 bytes (48 for HS384, 64 for HS512), or empty for none", isSecret: true,
                          isValid: { $0.utf8.count >= 32 }, "HMAC secret tokens are signed with; empty: no HMAC key."),
            .choice("auth.jwt.secret-algorithm", \.jwtSecretAlgorithm, names: TokenKeys.hmacAlgorithms, "Algorithm of the HMAC secret (the key decides; tokens naming another are refused)."),
            .optionalText("auth.jwt.public-key-file", \.jwtPublicKeyFile, type: "path", expected: "a PEM file path, or empty for none", isValid: { !$0.isEmpty },
                          "PEM public key tokens are signed with (RSA, EC P-256/P-384 or Ed25519); empty: none."),
            .choice("auth.jwt.public-key-algorithm", \.jwtPublicKeyAlgorithm, names: TokenKeys.pemAlgorithms, "Algorithm of the PEM public key."),
            .optionalText("auth.jwt.jwks-file", \.jwtJWKSFile, type: "path", expected: "a JWKS file path, or empty for none", isValid: { !$0.isEmpty },
                          "JWKS file of public keys (each with kid and alg); empty: none."),
            ConfigurationKey("auth.jwt.issuer", type: "string", expected: "a string, or empty for any", isText: true, "Required iss claim; empty accepts any issuer.",
                             read: { .scalar($0.tokenPolicy.issuer ?? "") }) { configuration, value in
                guard case .scalar(let text) = value else { return false }
                configuration.tokenPolicy.issuer = text.isEmpty ? nil : text
                return true
            },
            ConfigurationKey("auth.jwt.audience", type: "string", expected: "a string, or empty for any", isText: true, "Required member of the aud claim; empty accepts any audience.",
                             read: { .scalar($0.tokenPolicy.audience ?? "") }) { configuration, value in
                guard case .scalar(let text) = value else { return false }
                configuration.tokenPolicy.audience = text.isEmpty ? nil : text
                return true
            },
            .integer("auth.jwt.leeway-seconds", \.tokenPolicy.leewaySeconds, type: "seconds", minimum: 0, maximum: 3_600,
                     "Clock skew tolerated on exp, nbf and iat."),
            .text("auth.jwt.user-claim", \.tokenPolicy.userClaim, "Claim holding the user id."),
            .text("auth.jwt.roles-claim", \.tokenPolicy.rolesClaim, "Claim holding the roles (a list, or a space-separated string)."),
            .boolean("auth.jwt.require-expiry", \.tokenPolicy.requireExpiry, "Refuse tokens without an exp claim."),
            .choice("auth.jwt.expiry-policy", \.tokenExpiryPolicy, names: ["disconnect", "keep"],
                    "What happens when a session's token expires: disconnect (ERROR 'token expired', then close) or keep."),
            .text("auth.token-query-parameter", \.tokenQueryParameter, "Query parameter carrying a token in the handshake URL."),
            .text("auth.token-cookie", \.tokenCookie, "Cookie carrying a token at the handshake."),
            ConfigurationKey("auth.rules", shape: .list, type: "list",
                             expected: "a list of 'allow|deny ACTIONS PATTERN WHO' (ACTIONS: subscribe, send, subscribe|send or *; WHO: anyone, authenticated, anonymous, role:NAME, user:NAME)",
                             isText: true, "Authorization rules, first match wins; {user} in a pattern is the session's user.",
                             read: { .list($0.accessRules.map(\.description)) }) { configuration, value in
                guard case .list(let lines) = value else { return false }
                let rules = lines.map(AccessRule.init)
                guard rules.allSatisfy({ $0 != nil }) else { return false }
                configuration.accessRules = rules.compactMap { $0 }
                return true
            },
            .choice("auth.default-policy", \.accessDefaultPolicy, names: ["auto", "allow", "deny"],
                    "Decision for a SEND or SUBSCRIBE no rule applies to; auto: allow on a loopback listen.host (development), deny on any other."),
        ]
    }
}
