internal import OfflineMessages

extension ConfigurationLoader {
    /// Offline user messages: which `/user` destinations keep messages for absent users, and
    /// the bounds of what is kept.
    static var offlineKeys: [ConfigurationKey] {
        [
            .texts("offline.prefixes", \.offline.prefixes,
                   expected: "a list of /user destination prefixes with '*' as the user segment, such as /user/*/queue/inbox",
                   isValid: { $0.hasPrefix("/") && $0.contains("/*/") && $0.filter { $0 == "*" }.count == 1 && !$0.contains(" ") },
                   "User destinations whose messages wait for a user with no subscription to them (empty: offline messages off)."),
            .integer("offline.max-messages-per-user", \.offline.maxMessagesPerUser, type: "count",
                     "Messages kept per user (all offline destinations together); past it the oldest is dropped and counted. Also the most dedup ids remembered per user."),
            .integer("offline.ttl-seconds", \.offline.ttlSeconds, type: "seconds",
                     "Age after which a kept message is deleted unread."),
            .integer("offline.dedup-window-seconds", \.offline.dedupWindowSeconds, type: "seconds", minimum: 0,
                     "A SEND repeating a message-dedup-id of the same user within this time is dropped (0: no deduplication)."),
            .integer("offline.memory-max-bytes", \.offline.memoryMaxBytes, type: "bytes",
                     "Bytes a lone node may hold for offline users (messages and dedup ids); past it new messages are not kept (counted). In a cluster Redis holds them."),
            .integer("offline.replay-batch", \.offline.replayBatch, type: "count",
                     "Kept messages read and delivered per round trip when a user subscribes."),
        ]
    }
}
