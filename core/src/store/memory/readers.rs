//! Subscriptions, parked events and leases of the memory store: plain maps
//! under the store's one mutex, with the rules of the SQLite store.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use crate::store::readers::{now_ms, stamp, until_ms};
use crate::store::{Lease, Parked, RawEvent, SubscriptionRow};

#[derive(Debug, Default)]
pub(super) struct Readers {
    leases: HashMap<String, Lease>,
    /// By (name, position): a name's events in position order.
    parked: BTreeMap<(String, u64), Parked>,
    subscriptions: BTreeMap<String, SubscriptionRow>,
}

impl Readers {
    pub(super) fn take_lease(&mut self, name: &str, owner: &str, ttl: Duration) -> bool {
        let free = self
            .leases
            .get(name)
            .is_none_or(|l| l.free_for(owner, now_ms()));
        if free {
            self.leases.insert(
                name.to_string(),
                Lease {
                    owner: owner.to_string(),
                    until_ms: until_ms(ttl),
                },
            );
        }
        free
    }

    pub(super) fn release_lease(&mut self, name: &str, owner: &str) {
        if self.leases.get(name).is_some_and(|l| l.owner == owner) {
            self.leases.remove(name);
        }
    }

    pub(super) fn lease(&self, name: &str) -> Option<Lease> {
        self.leases.get(name).cloned()
    }

    pub(super) fn park(&mut self, name: &str, event: &RawEvent, reason: &str) {
        self.parked
            .entry((name.to_string(), event.position))
            .or_insert_with(|| Parked {
                name: name.to_string(),
                position: event.position,
                reason: reason.to_string(),
                parked_at: stamp(),
                event: event.clone(),
            });
    }

    fn of<'a>(&'a self, name: &str) -> impl Iterator<Item = &'a Parked> + 'a {
        let name = name.to_string();
        self.parked
            .range((name.clone(), 0)..)
            .take_while(move |((n, _), _)| *n == name)
            .map(|(_, p)| p)
    }

    pub(super) fn parked(&self, name: &str) -> Vec<Parked> {
        self.of(name).cloned().collect()
    }

    pub(super) fn parked_count(&self, name: &str) -> u64 {
        self.of(name).count() as u64
    }

    pub(super) fn subscription(&self, name: &str) -> Option<SubscriptionRow> {
        self.subscriptions.get(name).cloned()
    }

    pub(super) fn put_subscription(&mut self, row: &SubscriptionRow) {
        match self.subscriptions.get_mut(&row.name) {
            Some(old) => {
                old.checkpoint = old.checkpoint.max(row.checkpoint);
                old.models = row.models.clone();
                old.types = row.types.clone();
            }
            None => {
                self.subscriptions.insert(row.name.clone(), row.clone());
            }
        }
    }

    pub(super) fn subscriptions(&self) -> Vec<SubscriptionRow> {
        self.subscriptions.values().cloned().collect()
    }

    pub(super) fn ack(&mut self, name: &str, position: u64) {
        let row = self
            .subscriptions
            .entry(name.to_string())
            .or_insert_with(|| SubscriptionRow {
                name: name.to_string(),
                checkpoint: 0,
                models: Vec::new(),
                types: Vec::new(),
                created_at: stamp(),
            });
        row.checkpoint = row.checkpoint.max(position);
    }
}
