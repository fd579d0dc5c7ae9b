use crate::{Extensions, MemberStatus};
use abi_stable::{
    std_types::{ROption, RString, RVec},
    StableAbi,
};
use serde::{Deserialize, Serialize};

/// The raw HTTP request WeCom sent to the platform's callback URL (通讯录回调), passed as received.
#[repr(C)]
#[derive(StableAbi, Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallbackRequest {
    /// `GET` (URL verification) or `POST` (an event).
    pub method: RString,
    /// The raw query string, still percent-encoded (`msg_signature=..&timestamp=..&nonce=..[&echostr=..]`).
    pub query: RString,
    /// The raw body of a POST (encrypted XML); empty for GET.
    pub body: RString,
    /// The time to judge the timestamp's freshness by (Unix seconds); 0 = now.
    pub now_unix: i64,
    /// Fields added in later 0.2.x releases.
    #[serde(default, skip_serializing_if = "Extensions::is_empty")]
    pub ext: Extensions,
}

crate::open_enum! {
    /// What kind of callback it was. A value from a newer plugin: answer WeCom with the reply's
    /// status and body, apply nothing.
    pub enum CallbackKind {
        /// WeCom checking the URL (GET with `echostr`).
        UrlVerification = 0 => "url_verification",
        /// A contact-change event.
        ContactChange = 1 => "contact_change",
        /// A valid event that is not a contact change (ignored).
        OtherEvent = 2 => "other_event",
        /// The same event delivered again (WeCom retries); acknowledged, nothing to apply.
        Duplicate = 3 => "duplicate",
    }
}

crate::open_enum! {
    /// What a directory change is. A value from a newer plugin: pass it to `plan_change` as it is
    /// (the plugin that sent it knows it).
    pub enum ChangeKind {
        /// `create_user`.
        MemberCreated = 0 => "member_created",
        /// `update_user` (a changed userid comes as `new_userid`).
        MemberUpdated = 1 => "member_updated",
        /// `delete_user`.
        MemberDeleted = 2 => "member_deleted",
        /// `create_party`.
        DepartmentCreated = 3 => "department_created",
        /// `update_party`.
        DepartmentUpdated = 4 => "department_updated",
        /// `delete_party`.
        DepartmentDeleted = 5 => "department_deleted",
        /// `update_tag`: members or departments added to or removed from a tag.
        TagMembersChanged = 6 => "tag_members_changed",
    }
}

/// A typed contact change. Only fields the event carried are set: absent is not empty (events of
/// callbacks set up after 2022-08-15 may carry ids only; `complete_change` fetches the rest).
#[repr(C)]
#[derive(StableAbi, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirectoryChange {
    /// What changed.
    pub kind: ChangeKind,
    /// WeCom's `ChangeType` as sent.
    pub change_type: RString,
    /// `CreateTime` of the event (Unix seconds).
    pub event_time_unix: i64,
    /// A key identifying this event, for de-duplication by the host.
    pub dedup_key: RString,
    /// Member events: the userid (before a change of userid).
    pub userid: RString,
    /// `update_user`: the new userid when it changed; empty otherwise.
    pub new_userid: RString,
    /// Member name, when sent.
    pub name: ROption<RString>,
    /// Member departments, when sent.
    pub department_ids: ROption<RVec<u32>>,
    /// Member status, when sent.
    pub status: ROption<MemberStatus>,
    /// Department events: the department id.
    pub department_id: u32,
    /// Department name, when sent.
    pub department_name: ROption<RString>,
    /// Department parent, when sent.
    pub parent_id: ROption<u32>,
    /// Department order, when sent.
    pub order: ROption<u64>,
    /// Tag events: the tag id.
    pub tag_id: u32,
    /// Tag events: members added.
    pub added_userids: RVec<RString>,
    /// Tag events: members removed.
    pub removed_userids: RVec<RString>,
    /// Tag events: departments added.
    pub added_department_ids: RVec<u32>,
    /// Tag events: departments removed.
    pub removed_department_ids: RVec<u32>,
    /// Fields added in later 0.2.x releases.
    #[serde(default, skip_serializing_if = "Extensions::is_empty")]
    pub ext: Extensions,
}

/// What the host answers WeCom, and what the callback carried.
#[repr(C)]
#[derive(StableAbi, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallbackReply {
    /// The kind of callback.
    pub kind: CallbackKind,
    /// HTTP status to answer with (200).
    pub status: u16,
    /// Body to answer with, exactly: the decrypted echo for URL verification, empty for events.
    pub body: RString,
    /// The change to apply (after answering), for contact-change events.
    pub change: ROption<DirectoryChange>,
    /// Fields added in later 0.2.x releases.
    #[serde(default, skip_serializing_if = "Extensions::is_empty")]
    pub ext: Extensions,
}

/// What `complete_change` could not read (extension field `unresolved` of [`DirectoryChange`],
/// added in 0.2.x): WeCom did not show the member or department the event names. A plugin older
/// than the field never sets it; a host that does not know it plans the change as it is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unresolved {
    /// WeCom's answer to the read (`60111` userid not found, `60011` outside the app's range, ...).
    pub errcode: i64,
    /// True when WeCom may show it soon (a member created a moment ago: the directory catches up
    /// after the event): the host completes the change again later, with backoff and a bound,
    /// instead of planning it now (which would ask for a full read). False: plan it as it is.
    pub retry: bool,
}

impl DirectoryChange {
    /// Extension key of [`Unresolved`].
    pub const UNRESOLVED: &'static str = "unresolved";

    /// What `complete_change` could not read, when it could not (see [`Unresolved`]).
    pub fn unresolved(&self) -> Option<Unresolved> {
        self.ext.get(Self::UNRESOLVED)
    }

    /// Records what `complete_change` could not read.
    pub fn set_unresolved(&mut self, unresolved: &Unresolved) {
        self.ext.set(Self::UNRESOLVED, unresolved);
    }
}
