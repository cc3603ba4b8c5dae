//! Object handles and the object functions: find, create, destroy, get and set attributes.
//!
//! A handle maps to kmsd's object id and the attributes kmsd last reported, so
//! `C_GetAttributeValue` needs no round trip. The same object always gets the same handle;
//! handles are never reused. Private objects' handles are forgotten at logout.

use super::Library;
use crate::attr::{self, AttrAnswer, AttrQuery, RawAttr};
use crate::error::{Error, Result};
use cryptoki_sys::*;
use kms_api::msg::ObjectInfo;
use kms_api::AttrValue;
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
    fn register(
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

impl Library {
    /// Records an object kmsd reported.
    pub fn register(&self, slot: CK_SLOT_ID, mut info: ObjectInfo) -> CK_OBJECT_HANDLE {
        let id_attr = kms_api::vendor::CKA_KMS_OBJECT_ID;
        if kms_api::attr::find(&info.attrs, id_attr).is_none() {
            let value = AttrValue::Bytes(kms_api::Bytes(info.id.as_bytes().to_vec()));
            info.attrs.push(kms_api::Attr { ty: id_attr, value });
        }
        self.objects.register(slot, info, || self.new_handle())
    }

    /// The object behind a handle, as visible from this session's slot and login state
    /// (`CKR_OBJECT_HANDLE_INVALID` otherwise).
    pub fn object(
        &self,
        session: CK_SESSION_HANDLE,
        h: CK_OBJECT_HANDLE,
    ) -> Result<Arc<ObjectEntry>> {
        let (_, slot) = self.session_slot(session)?;
        let entry = self
            .objects
            .get(h)
            .ok_or(Error::Ck(CKR_OBJECT_HANDLE_INVALID))?;
        if entry.slot != slot.id || (entry.is_private() && slot.user().is_none()) {
            return Err(Error::Ck(CKR_OBJECT_HANDLE_INVALID));
        }
        Ok(entry)
    }

    /// Refuses to change token objects from a read-only session (`CKR_SESSION_READ_ONLY`).
    pub(crate) fn check_writable(
        &self,
        session: CK_SESSION_HANDLE,
        token_object: bool,
    ) -> Result<()> {
        let rw = self.session(session)?.lock().rw;
        if token_object && !rw {
            return Err(Error::Ck(CKR_SESSION_READ_ONLY));
        }
        Ok(())
    }

    /// Registers a new object and, for a session object, ties it to the session that made it.
    pub(crate) fn adopt(
        &self,
        session: CK_SESSION_HANDLE,
        slot: CK_SLOT_ID,
        info: ObjectInfo,
    ) -> Result<CK_OBJECT_HANDLE> {
        let h = self.register(slot, info);
        let entry = self.objects.get(h).ok_or(Error::Ck(CKR_GENERAL_ERROR))?;
        if !entry.is_token() {
            self.session(session)?.lock().session_objects.push(h);
        }
        Ok(h)
    }

    /// `C_FindObjectsInit`.
    pub fn find_init(&self, h: CK_SESSION_HANDLE, raw: &[RawAttr]) -> Result<()> {
        let (session, slot) = self.session_slot(h)?;
        if session.lock().find.is_some() {
            return Err(Error::Ck(CKR_OPERATION_ACTIVE));
        }
        // An attribute this token does not know matches no object.
        let handles = match attr::decode_template(raw) {
            Ok(template) => {
                let found = slot.client.find(slot.bearer().as_ref(), template)?;
                found
                    .into_iter()
                    .map(|info| self.register(slot.id, info))
                    .collect()
            }
            Err(e) if e.rv() == CKR_TEMPLATE_INCONSISTENT => return Err(e),
            Err(_) => Vec::new(),
        };
        let mut s = session.lock();
        if s.find.is_some() {
            return Err(Error::Ck(CKR_OPERATION_ACTIVE));
        }
        s.find = Some(FindState { handles, next: 0 });
        Ok(())
    }

    /// `C_FindObjects`: up to `max` more handles.
    pub fn find_next(&self, h: CK_SESSION_HANDLE, max: usize) -> Result<Vec<CK_OBJECT_HANDLE>> {
        let session = self.session(h)?;
        let mut s = session.lock();
        let find = s
            .find
            .as_mut()
            .ok_or(Error::Ck(CKR_OPERATION_NOT_INITIALIZED))?;
        let end = find.handles.len().min(find.next.saturating_add(max));
        let out = find.handles[find.next..end].to_vec();
        find.next = end;
        Ok(out)
    }

    /// `C_FindObjectsFinal`.
    pub fn find_final(&self, h: CK_SESSION_HANDLE) -> Result<()> {
        let session = self.session(h)?;
        let mut s = session.lock();
        s.find
            .take()
            .map(|_| ())
            .ok_or(Error::Ck(CKR_OPERATION_NOT_INITIALIZED))
    }

    /// `C_GetAttributeValue`.
    pub fn get_attributes(
        &self,
        h: CK_SESSION_HANDLE,
        object: CK_OBJECT_HANDLE,
        queries: &[AttrQuery],
    ) -> Result<(CK_RV, Vec<AttrAnswer>)> {
        let entry = self.object(h, object)?;
        Ok(attr::get_values(&entry.info, queries))
    }

    /// `C_CreateObject`.
    pub fn create_object(&self, h: CK_SESSION_HANDLE, raw: &[RawAttr]) -> Result<CK_OBJECT_HANDLE> {
        let (_, slot) = self.session_slot(h)?;
        let template = attr::decode_template(raw)?;
        self.check_writable(h, super::keys::wants_token(&template))?;
        let info = slot
            .client
            .create_object(slot.bearer().as_ref(), template)?;
        self.adopt(h, slot.id, info)
    }

    /// `C_DestroyObject`.
    pub fn destroy_object(&self, h: CK_SESSION_HANDLE, object: CK_OBJECT_HANDLE) -> Result<()> {
        let (session, slot) = self.session_slot(h)?;
        let entry = self.object(h, object)?;
        self.check_writable(h, entry.is_token())?;
        slot.client
            .destroy(slot.bearer().as_ref(), &entry.info.id)?;
        self.objects.remove(object);
        session.lock().session_objects.retain(|o| *o != object);
        Ok(())
    }

    /// `C_CopyObject`.
    pub fn copy_object(
        &self,
        h: CK_SESSION_HANDLE,
        object: CK_OBJECT_HANDLE,
        raw: &[RawAttr],
    ) -> Result<CK_OBJECT_HANDLE> {
        let (_, slot) = self.session_slot(h)?;
        let entry = self.object(h, object)?;
        let template = attr::decode_template(raw)?;
        let token = kms_api::attr::find(&template, CKA_TOKEN as u64)
            .and_then(AttrValue::as_bool)
            .unwrap_or(entry.is_token());
        self.check_writable(h, token)?;
        let info = slot
            .client
            .copy_object(slot.bearer().as_ref(), &entry.info.id, template)?;
        self.adopt(h, slot.id, info)
    }

    /// `C_SetAttributeValue`.
    pub fn set_attributes(
        &self,
        h: CK_SESSION_HANDLE,
        object: CK_OBJECT_HANDLE,
        raw: &[RawAttr],
    ) -> Result<()> {
        let (_, slot) = self.session_slot(h)?;
        let entry = self.object(h, object)?;
        self.check_writable(h, entry.is_token())?;
        let template = attr::decode_template(raw)?;
        let info = slot
            .client
            .set_attributes(slot.bearer().as_ref(), &entry.info.id, template)?;
        self.register(slot.id, info);
        Ok(())
    }
}
