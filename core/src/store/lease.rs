//! Who holds a lease: an engine named `host:pid:id`. A lease held by a
//! process of this host that is gone is free at once, so that a crashed
//! runner or consumer never blocks the next one for a whole term.

use std::sync::OnceLock;

/// This host's name, as the kernel gives it (`localhost` when unknown).
fn host() -> &'static str {
    static HOST: OnceLock<String> = OnceLock::new();
    HOST.get_or_init(|| {
        std::fs::read_to_string("/proc/sys/kernel/hostname")
            .ok()
            .map(|h| h.trim().to_string())
            .filter(|h| !h.is_empty() && !h.contains(':'))
            .unwrap_or_else(|| "localhost".into())
    })
}

/// A new owner name for one engine of this process.
pub(crate) fn new_owner() -> String {
    format!(
        "{}:{}:{}",
        host(),
        std::process::id(),
        uuid::Uuid::now_v7().simple()
    )
}

/// Whether the owner may still be running: false only for a process of this
/// host that is known to be gone.
pub(crate) fn alive(owner: &str) -> bool {
    let mut parts = owner.splitn(3, ':');
    let (Some(h), Some(pid)) = (parts.next(), parts.next()) else {
        return true;
    };
    if h != host() {
        return true;
    }
    let Ok(pid) = pid.parse::<u32>() else {
        return true;
    };
    if pid == std::process::id() {
        return true;
    }
    let proc = std::path::Path::new("/proc");
    // Without /proc nothing is known: trust the lease's term.
    !proc.is_dir() || proc.join(pid.to_string()).exists()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_is_alive_and_a_gone_one_is_not() {
        let me = new_owner();
        assert!(alive(&me));
        assert!(alive("elsewhere:1:x"), "another host is trusted");
        assert!(alive("nonsense"));
        if std::path::Path::new("/proc").is_dir() {
            // Pids are below 2^22 on Linux.
            assert!(!alive(&format!("{}:{}:x", host(), 4_194_304 + 7)));
        }
    }
}
