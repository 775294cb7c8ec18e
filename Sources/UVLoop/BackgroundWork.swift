internal import CLibUV

/// CPU-bound work for libuv's thread pool (`uv_queue_work`), so that it never stalls the loop:
/// `work` runs on a pool thread and must touch only what it captured; `done` runs afterwards on
/// the loop thread with the result. Used for password hashes (PBKDF2 takes tens of milliseconds).
public enum BackgroundWork {
    /// Queues `work`; false when libuv refused it (then nothing runs).
    @discardableResult
    public static func run<Result: Sendable>(
        on loop: EventLoop, _ work: @escaping @Sendable () -> Result, done: @escaping (Result) -> Void
    ) -> Bool {
        let slot = ResultSlot<Result>()
        let job = Job(execute: { slot.value = work() }, finish: { done(slot.value!) })
        let request = UnsafeMutablePointer<uv_work_t>.allocate(capacity: 1)
        request.pointee.data = Unmanaged.passRetained(job).toOpaque()
        let status = uv_queue_work(loop.loop, request, { request in
            // Pool thread: only the job's own state is touched.
            Unmanaged<Job>.fromOpaque(request!.pointee.data).takeUnretainedValue().execute()
        }, { request, _ in
            // Loop thread, after `execute` (libuv orders the two): the job's +1 ends here.
            let job = Unmanaged<Job>.fromOpaque(request!.pointee.data).takeRetainedValue()
            request!.deallocate()
            job.finish()
        })
        if status < 0 {
            Unmanaged<Job>.fromOpaque(request.pointee.data).release()
            request.deallocate()
            return false
        }
        return true
    }

    /// One queued job; the closures hide the result type from the C callbacks.
    private final class Job: @unchecked Sendable {
        let execute: @Sendable () -> Void
        let finish: () -> Void

        init(execute: @escaping @Sendable () -> Void, finish: @escaping () -> Void) {
            self.execute = execute
            self.finish = finish
        }
    }
}

/// Written once on a pool thread, read once on the loop thread after libuv's hand-over.
private final class ResultSlot<Value>: @unchecked Sendable {
    var value: Value?
}
