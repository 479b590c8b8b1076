//! What the stores keep for readers of the whole log: subscriptions and
//! their checkpoints, parked events, and leases (one consumer or runner per
//! name across processes). The rows are plain data; each store keeps them
//! its own way (SQLite: `sqlite/subscriptions.rs`, memory: `memory.rs`),
//! and both decide whether a lease is free with [`Lease::free_for`].

use std::sync::OnceLock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::RawEvent;

/// A subscription as stored: its durable checkpoint (the last position
/// acknowledged; 0: none) and the filters it was last subscribed with
/// (empty lists do not filter).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriptionRow {
    pub name: String,
    pub checkpoint: u64,
    pub models: Vec<String>,
    pub types: Vec<String>,
    /// RFC 3339, UTC.
    pub created_at: String,
}

/// An event kept aside by a subscription or a projection that could not
/// handle it.
#[derive(Debug, Clone, PartialEq)]
pub struct Parked {
    /// The subscription or projection that parked it.
    pub name: String,
    pub position: u64,
    pub reason: String,
    /// RFC 3339, UTC.
    pub parked_at: String,
    /// The event as stored (not upcast).
    pub event: RawEvent,
}

/// A lease as stored: who holds it, until when (milliseconds since the
/// Unix epoch, by the wall clock, which every process of a host shares).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    pub owner: String,
    pub until_ms: u64,
}

impl Lease {
    /// May `owner` take this lease at `now_ms`? Yes when it is its own,
    /// when it expired, or when its holder is a process of this host that
    /// is gone.
    pub fn free_for(&self, owner: &str, now_ms: u64) -> bool {
        self.owner == owner || self.until_ms <= now_ms || !owner_alive(&self.owner)
    }

    /// Held now by a live owner (for listings: `active`).
    pub fn active(&self, now_ms: u64) -> bool {
        self.until_ms > now_ms && owner_alive(&self.owner)
    }
}

/// A new lease owner, `"<host>:<pid>:<uuid>"`: one per engine (projection
/// runners) or per subscription handle, so two handles of one process are
/// two owners.
pub fn lease_owner() -> String {
    format!(
        "{}:{}:{}",
        host(),
        std::process::id(),
        uuid::Uuid::now_v7().simple()
    )
}

/// Is the holder of a lease still there? An owner of another host, or one
/// that does not read as `host:pid:uuid`, is taken to be (only its lease's
/// expiry frees it); one of this host is there while its process is (a
/// process that was killed and reaped is not).
pub fn owner_alive(owner: &str) -> bool {
    let mut parts = owner.rsplitn(3, ':');
    let (Some(_uuid), Some(pid), Some(owner_host)) = (parts.next(), parts.next(), parts.next())
    else {
        return true;
    };
    let Ok(pid) = pid.parse::<u32>() else {
        return true;
    };
    if owner_host != host() || pid == std::process::id() {
        return true;
    }
    process_alive(pid)
}

#[cfg(unix)]
fn process_alive(pid: u32) -> bool {
    use rustix::process::{test_kill_process, Pid};
    let Some(pid) = i32::try_from(pid).ok().and_then(Pid::from_raw) else {
        return true;
    };
    // Signal 0: no signal sent, only the checks. EPERM means it exists
    // (another user's process).
    !matches!(test_kill_process(pid), Err(rustix::io::Errno::SRCH))
}

#[cfg(not(unix))]
fn process_alive(_pid: u32) -> bool {
    true
}

/// This host's name, as leases write it.
fn host() -> &'static str {
    static HOST: OnceLock<String> = OnceLock::new();
    HOST.get_or_init(|| {
        #[cfg(unix)]
        let name = rustix::system::uname()
            .nodename()
            .to_string_lossy()
            .into_owned();
        #[cfg(not(unix))]
        let name = std::env::var("COMPUTERNAME").unwrap_or_default();
        // The owner's fields are split at `:`.
        let name = name.replace(':', "_");
        if name.is_empty() {
            "localhost".into()
        } else {
            name
        }
    })
}

/// Now, in milliseconds since the Unix epoch (what `until_ms` counts).
pub(crate) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// `now_ms() + ttl`, saturating.
pub(crate) fn until_ms(ttl: Duration) -> u64 {
    now_ms().saturating_add(u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX))
}

/// Now as a stored timestamp (RFC 3339, UTC): `parked_at`, `created_at`.
pub(crate) fn stamp() -> String {
    crate::value::format_timestamp(crate::value::Timestamp::now())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owners_are_unique_and_of_this_process() {
        let (a, b) = (lease_owner(), lease_owner());
        assert_ne!(a, b);
        let parts: Vec<&str> = a.split(':').collect();
        assert_eq!(parts.len(), 3, "{a}");
        assert_eq!(parts[1], std::process::id().to_string());
        assert!(owner_alive(&a));
    }

    #[test]
    fn a_gone_process_of_this_host_holds_nothing() {
        // A child that has exited and been reaped: its pid is free.
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        child.wait().unwrap();
        let gone = format!("{}:{pid}:x", host());
        assert!(!owner_alive(&gone));
        let lease = Lease {
            owner: gone,
            until_ms: u64::MAX,
        };
        assert!(lease.free_for("someone", 0));
        assert!(!lease.active(0));
    }

    #[test]
    fn leases_free_when_expired_or_own() {
        let holder = lease_owner();
        let lease = Lease {
            owner: holder.clone(),
            until_ms: 1_000,
        };
        assert!(!lease.free_for("other", 999));
        assert!(lease.free_for("other", 1_000));
        assert!(lease.free_for(&holder, 0));
        assert!(lease.active(999));
        assert!(!lease.active(1_000));
        // Another host's owner, or one that does not parse: only its expiry
        // frees it.
        for owner in ["elsewhere:1:x", "no colons", "h:notapid:x"] {
            let l = Lease {
                owner: owner.into(),
                until_ms: 10,
            };
            assert!(!l.free_for("me", 9), "{owner}");
            assert!(l.free_for("me", 10), "{owner}");
        }
    }
}
