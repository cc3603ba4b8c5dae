//! The object functions of a session (PKCS#11 v3.0 §5.7): find, create, copy, destroy, get and
//! set attributes. Handles come from the table in [`super::handles`].

use super::handles::FindState;
use super::keys::wants_token;
use super::library::SessionRef;
use crate::attr::{self, AttrAnswer, AttrQuery, RawAttr};
use crate::error::{Error, Result};
use cryptoki_sys::*;
use kms_api::AttrValue;

impl SessionRef<'_> {
    /// `C_FindObjectsInit`.
    pub fn find_init(&self, raw: &[RawAttr]) -> Result<()> {
        if self.lock().find.is_some() {
            return Err(Error::Ck(CKR_OPERATION_ACTIVE));
        }
        let slot = self.slot();
        // An attribute this token does not know matches no object.
        let handles = match attr::decode_template(raw) {
            Ok(template) => {
                let found = slot.client.find(slot.bearer().as_ref(), template)?;
                found
                    .into_iter()
                    .map(|info| self.library().register(slot.id, info))
                    .collect()
            }
            Err(e) if e.rv() == CKR_TEMPLATE_INCONSISTENT => return Err(e),
            Err(_) => Vec::new(),
        };
        let mut s = self.lock();
        if s.find.is_some() {
            return Err(Error::Ck(CKR_OPERATION_ACTIVE));
        }
        s.find = Some(FindState::new(handles));
        Ok(())
    }

    /// `C_FindObjects`: up to `max` more handles.
    pub fn find_next(&self, max: usize) -> Result<Vec<CK_OBJECT_HANDLE>> {
        let mut s = self.lock();
        let find = s
            .find
            .as_mut()
            .ok_or(Error::Ck(CKR_OPERATION_NOT_INITIALIZED))?;
        Ok(find.next(max))
    }

    /// `C_FindObjectsFinal`.
    pub fn find_final(&self) -> Result<()> {
        self.lock()
            .find
            .take()
            .map(|_| ())
            .ok_or(Error::Ck(CKR_OPERATION_NOT_INITIALIZED))
    }

    /// `C_GetAttributeValue`: read from kmsd at each call (one round trip), so that the answer
    /// is never older than a change kmsd acknowledged before the call began — made by another
    /// process, host or replica, or by `kmsd key …`. The handle table takes the fresh copy; an
    /// object kmsd no longer shows this caller (destroyed, or its destruction scheduled) loses
    /// its handle: `CKR_OBJECT_HANDLE_INVALID`.
    pub fn get_attributes(
        &self,
        object: CK_OBJECT_HANDLE,
        queries: &[AttrQuery],
    ) -> Result<(CK_RV, Vec<AttrAnswer>)> {
        let slot = self.slot();
        let entry = self.object(object)?;
        let info = match slot
            .client
            .get_object(slot.bearer().as_ref(), &entry.info.id)
        {
            Ok(info) => info,
            Err(Error::Daemon(kms_api::ErrorCode::ObjectNotFound)) => {
                self.library().objects().remove(object);
                self.lock().session_objects.retain(|o| *o != object);
                return Err(Error::Ck(CKR_OBJECT_HANDLE_INVALID));
            }
            Err(e) => return Err(e),
        };
        let fresh = self.library().register(slot.id, info);
        let entry = self
            .library()
            .objects()
            .get(fresh)
            .ok_or(Error::Ck(CKR_OBJECT_HANDLE_INVALID))?;
        Ok(attr::get_values(&entry.info, queries))
    }

    /// `C_CreateObject`.
    pub fn create_object(&self, raw: &[RawAttr]) -> Result<CK_OBJECT_HANDLE> {
        let slot = self.slot();
        let template = attr::decode_template(raw)?;
        self.check_writable(wants_token(&template))?;
        let info = slot
            .client
            .create_object(slot.bearer().as_ref(), template)?;
        self.adopt(info)
    }

    /// `C_DestroyObject`.
    pub fn destroy_object(&self, object: CK_OBJECT_HANDLE) -> Result<()> {
        let slot = self.slot();
        let entry = self.object(object)?;
        self.check_writable(entry.is_token())?;
        slot.client
            .destroy(slot.bearer().as_ref(), &entry.info.id)?;
        self.library().objects().remove(object);
        self.lock().session_objects.retain(|o| *o != object);
        Ok(())
    }

    /// `C_CopyObject`.
    pub fn copy_object(
        &self,
        object: CK_OBJECT_HANDLE,
        raw: &[RawAttr],
    ) -> Result<CK_OBJECT_HANDLE> {
        let slot = self.slot();
        let entry = self.object(object)?;
        let template = attr::decode_template(raw)?;
        let token = kms_api::attr::find(&template, CKA_TOKEN as u64)
            .and_then(AttrValue::as_bool)
            .unwrap_or(entry.is_token());
        self.check_writable(token)?;
        let info = slot
            .client
            .copy_object(slot.bearer().as_ref(), &entry.info.id, template)?;
        self.adopt(info)
    }

    /// `C_SetAttributeValue`.
    pub fn set_attributes(&self, object: CK_OBJECT_HANDLE, raw: &[RawAttr]) -> Result<()> {
        let slot = self.slot();
        let entry = self.object(object)?;
        self.check_writable(entry.is_token())?;
        let template = attr::decode_template(raw)?;
        let info = slot
            .client
            .set_attributes(slot.bearer().as_ref(), &entry.info.id, template)?;
        self.library().register(slot.id, info);
        Ok(())
    }
}
