//! The handle table: a handle maps to kmsd's object id and the attributes kmsd last reported
//! (what the key checks at `*Init` look at; `C_GetAttributeValue` reads kmsd again and refreshes
//! the entry). The same object always gets the same handle; handles are never reused. Private
//! objects' handles are forgotten at logout.

use crate::attr;
use cryptoki_sys::*;
use kms_api::msg::ObjectInfo;
use parking_lot::RwLock;
use std::collections::HashMap;
use std::sync::Arc;

/// An object known to this process.
#[derive(Debug, Clone)]
pub struct ObjectEntry {
    /// The slot it lives on.
    pub slot: CK_SLOT_ID,
    /// kmsd's view of it.
    pub info: ObjectInfo,
}

impl ObjectEntry {
    /// `CKA_CLASS`.
    pub fn class(&self) -> Option<CK_OBJECT_CLASS> {
        attr::ulong(&self.info, CKA_CLASS)
    }

    /// `CKA_KEY_TYPE`.
    pub fn key_type(&self) -> Option<CK_KEY_TYPE> {
        attr::ulong(&self.info, CKA_KEY_TYPE)
    }

    /// `CKA_TOKEN`.
    pub fn is_token(&self) -> bool {
        attr::flag(&self.info, CKA_TOKEN)
    }

    /// `CKA_PRIVATE`.
    pub fn is_private(&self) -> bool {
        attr::flag(&self.info, CKA_PRIVATE)
    }
}

#[derive(Default)]
struct Tables {
    by_handle: HashMap<CK_OBJECT_HANDLE, Arc<ObjectEntry>>,
    by_id: HashMap<(CK_SLOT_ID, String), CK_OBJECT_HANDLE>,
}

/// The handle table.
#[derive(Default)]
pub struct ObjectTable {
    tables: RwLock<Tables>,
}

impl ObjectTable {
    /// Records (or refreshes) an object and returns its handle.
    pub(super) fn register(
        &self,
        slot: CK_SLOT_ID,
        info: ObjectInfo,
        new_handle: impl FnOnce() -> CK_OBJECT_HANDLE,
    ) -> CK_OBJECT_HANDLE {
        let mut t = self.tables.write();
        let key = (slot, info.id.clone());
        let h = match t.by_id.get(&key) {
            Some(h) => *h,
            None => {
                let h = new_handle();
                t.by_id.insert(key, h);
                h
            }
        };
        t.by_handle.insert(h, Arc::new(ObjectEntry { slot, info }));
        h
    }

    /// The entry of a handle.
    pub fn get(&self, h: CK_OBJECT_HANDLE) -> Option<Arc<ObjectEntry>> {
        self.tables.read().by_handle.get(&h).cloned()
    }

    /// Forgets a handle.
    pub fn remove(&self, h: CK_OBJECT_HANDLE) -> Option<Arc<ObjectEntry>> {
        let mut t = self.tables.write();
        let entry = t.by_handle.remove(&h)?;
        t.by_id.remove(&(entry.slot, entry.info.id.clone()));
        Some(entry)
    }

    /// Forgets every private object of a slot (at logout).
    pub fn forget_private(&self, slot: CK_SLOT_ID) {
        self.forget_where(slot, ObjectEntry::is_private);
    }

    /// Forgets every object of a slot (its token was re-initialised).
    pub fn forget_all(&self, slot: CK_SLOT_ID) {
        self.forget_where(slot, |_| true);
    }

    fn forget_where(&self, slot: CK_SLOT_ID, which: impl Fn(&ObjectEntry) -> bool) {
        let mut t = self.tables.write();
        let gone: Vec<_> = t
            .by_handle
            .iter()
            .filter(|(_, e)| e.slot == slot && which(e))
            .map(|(h, e)| (*h, e.info.id.clone()))
            .collect();
        for (h, id) in gone {
            t.by_handle.remove(&h);
            t.by_id.remove(&(slot, id));
        }
    }
}

/// An active `C_FindObjects*` search: the handles found, and how many were returned so far.
pub struct FindState {
    handles: Vec<CK_OBJECT_HANDLE>,
    next: usize,
}

impl FindState {
    /// A search that found `handles`.
    pub fn new(handles: Vec<CK_OBJECT_HANDLE>) -> FindState {
        FindState { handles, next: 0 }
    }

    /// Up to `max` more handles.
    pub fn next(&mut self, max: usize) -> Vec<CK_OBJECT_HANDLE> {
        let end = self.handles.len().min(self.next.saturating_add(max));
        let out = self.handles[self.next..end].to_vec();
        self.next = end;
        out
    }
}
