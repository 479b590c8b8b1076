//! The memory store's global log, in chunks of a fixed size: growing never
//! moves what is there. A `Vec` that doubles copies every event it holds
//! and faults in fresh pages for the copy; on W1 that was 8% of a command.

use std::ops::Index;

use crate::store::RawEvent;

/// Events per chunk.
const CHUNK: usize = 1024;

/// Every chunk but the last is full, and none is empty.
#[derive(Debug, Default)]
pub(super) struct Log {
    chunks: Vec<Vec<RawEvent>>,
    len: usize,
}

impl Log {
    pub(super) fn len(&self) -> usize {
        self.len
    }

    pub(super) fn push(&mut self, event: RawEvent) {
        match self.chunks.last_mut() {
            Some(last) if last.len() < CHUNK => last.push(event),
            _ => {
                let mut chunk = Vec::with_capacity(CHUNK);
                chunk.push(event);
                self.chunks.push(chunk);
            }
        }
        self.len += 1;
    }

    pub(super) fn pop(&mut self) -> Option<RawEvent> {
        let last = self.chunks.last_mut()?;
        let event = last.pop();
        if last.is_empty() {
            self.chunks.pop();
        }
        self.len -= usize::from(event.is_some());
        event
    }

    /// The events from index `start` on (none when it is past the end).
    pub(super) fn iter_from(&self, start: usize) -> impl Iterator<Item = &RawEvent> {
        let (first, offset) = (start / CHUNK, start % CHUNK);
        self.chunks
            .get(first..)
            .unwrap_or_default()
            .iter()
            .enumerate()
            .flat_map(move |(k, chunk)| {
                let from = if k == 0 { offset } else { 0 };
                chunk.get(from..).unwrap_or_default().iter()
            })
    }

    pub(super) fn iter(&self) -> impl Iterator<Item = &RawEvent> {
        self.iter_from(0)
    }
}

impl Index<usize> for Log {
    type Output = RawEvent;

    fn index(&self, i: usize) -> &RawEvent {
        &self.chunks[i / CHUNK][i % CHUNK]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn event(position: u64) -> RawEvent {
        RawEvent {
            position,
            id: String::new(),
            stream: String::new(),
            version: 1,
            event_type: String::new(),
            schema: 1,
            data: String::new(),
            metadata: String::new(),
        }
    }

    proptest! {
        /// Pushes and pops across chunk edges read as a `Vec` would.
        #[test]
        fn reads_as_a_vec_does(ops in prop::collection::vec((0..3 * CHUNK, 0..CHUNK), 1..8),
                               start in 0..4 * CHUNK) {
            let (mut log, mut vec) = (Log::default(), Vec::new());
            let mut next = 0;
            for (push, pop) in ops {
                for _ in 0..push {
                    log.push(event(next));
                    vec.push(next);
                    next += 1;
                }
                for _ in 0..pop {
                    prop_assert_eq!(log.pop().map(|e| e.position), vec.pop());
                }
                prop_assert_eq!(log.len(), vec.len());
                let all: Vec<u64> = log.iter().map(|e| e.position).collect();
                prop_assert_eq!(&all, &vec);
                let from: Vec<u64> = log.iter_from(start).map(|e| e.position).collect();
                prop_assert_eq!(&from[..], vec.get(start..).unwrap_or_default());
                for (i, &p) in vec.iter().enumerate().step_by(97) {
                    prop_assert_eq!(log[i].position, p);
                }
            }
        }
    }
}
