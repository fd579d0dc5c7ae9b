//! What WeCom answers, deserialised leniently (wecom-api.md §3, §4, §5, §8).
//!
//! Why lenient: WeCom's answers changed over the years (fields dropped in 2022, legacy 企业号
//! spellings, numbers sent as strings such as `gender: "1"`), and one odd optional field must not
//! make a whole directory page unreadable. So: ids are required (an answer without them is
//! useless), every other field defaults when absent, `null` or of an unexpected type, numbers
//! are accepted as strings and vice versa, and unknown fields are ignored. The list containers of
//! a response (e.g. `department`, `userlist`) must still be lists, and the directory's
//! (`department/list`, `user/list`) must be there: a wrong type or a missing list is a `Decode`
//! error, because silently reading it as empty would make members vanish. A key sent twice in one
//! object is a `Decode` error too (the answer is ambiguous; which copy WeCom meant is unknown).

use super::secret::Secret;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

/// Readers that never fail (optional fields) or fail only when the value cannot be an id.
///
/// They read each field straight from the answer's bytes as a [`Scalar`]: strings without escapes
/// are borrowed until kept, and a list or an object where a scalar belongs is skipped without
/// being built. A 50,000-member read decodes about a million fields, so building a `Value` for
/// each (and copying its string) was most of the plugin's time per call.
pub(crate) mod lenient {
    use super::*;
    use serde::de::{IgnoredAny, MapAccess, SeqAccess, Visitor};
    use std::borrow::Cow;
    use std::fmt;

    /// The same conversions for parts read as a `Value` (the agent's nested scope, a status).
    pub(crate) fn as_string(v: &Value) -> String {
        match v {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            _ => String::new(),
        }
    }

    pub(crate) fn as_i64(v: &Value) -> Option<i64> {
        match v {
            Value::Number(n) => n.as_i64().or_else(|| n.as_u64().and_then(|u| i64::try_from(u).ok())),
            Value::String(s) => s.trim().parse().ok(),
            Value::Bool(b) => Some(i64::from(*b)),
            _ => None,
        }
    }

    pub(crate) fn as_u32(v: &Value) -> Option<u32> {
        as_i64(v).and_then(|n| u32::try_from(n).ok())
    }

    pub(crate) fn as_list(v: &Value) -> &[Value] {
        match v {
            Value::Array(items) => items,
            _ => &[],
        }
    }

    /// One JSON value as the lenient readers see it.
    pub(crate) enum Scalar<'a> {
        Str(Cow<'a, str>),
        Int(i64),
        UInt(u64),
        Float(f64),
        Bool(bool),
        /// `null`, a list or an object.
        Other,
    }

    impl Scalar<'_> {
        /// As text: numbers and booleans as JSON writes them, anything else empty.
        pub(crate) fn into_string(self) -> String {
            match self {
                Scalar::Str(s) => s.into_owned(),
                Scalar::Int(n) => n.to_string(),
                Scalar::UInt(n) => n.to_string(),
                // Through serde_json's Number, so a float reads as it did from a `Value` ("1.0").
                Scalar::Float(f) => serde_json::Number::from_f64(f).map(|n| n.to_string()).unwrap_or_default(),
                Scalar::Bool(b) => b.to_string(),
                Scalar::Other => String::new(),
            }
        }

        /// As an integer: integers, numeric strings and booleans; not floats.
        pub(crate) fn as_i64(&self) -> Option<i64> {
            match self {
                Scalar::Int(n) => Some(*n),
                Scalar::UInt(n) => i64::try_from(*n).ok(),
                Scalar::Str(s) => s.trim().parse().ok(),
                Scalar::Bool(b) => Some(i64::from(*b)),
                Scalar::Float(_) | Scalar::Other => None,
            }
        }

        pub(crate) fn as_u32(&self) -> Option<u32> {
            self.as_i64().and_then(|n| u32::try_from(n).ok())
        }

        /// For error messages: what was there, without quoting a list or an object whole.
        fn describe(&self) -> String {
            match self {
                Scalar::Str(s) => format!("{s:?}"),
                Scalar::Int(n) => n.to_string(),
                Scalar::UInt(n) => n.to_string(),
                Scalar::Float(f) => f.to_string(),
                Scalar::Bool(b) => b.to_string(),
                Scalar::Other => "(null, a list or an object)".into(),
            }
        }
    }

    impl<'de> Deserialize<'de> for Scalar<'de> {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            d.deserialize_any(ScalarVisitor)
        }
    }

    struct ScalarVisitor;

    impl<'de> Visitor<'de> for ScalarVisitor {
        type Value = Scalar<'de>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("any JSON value")
        }

        fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Scalar<'de>, E> {
            Ok(Scalar::Str(Cow::Borrowed(v)))
        }

        fn visit_str<E>(self, v: &str) -> Result<Scalar<'de>, E> {
            Ok(Scalar::Str(Cow::Owned(v.to_owned())))
        }

        fn visit_string<E>(self, v: String) -> Result<Scalar<'de>, E> {
            Ok(Scalar::Str(Cow::Owned(v)))
        }

        fn visit_i64<E>(self, v: i64) -> Result<Scalar<'de>, E> {
            Ok(Scalar::Int(v))
        }

        fn visit_u64<E>(self, v: u64) -> Result<Scalar<'de>, E> {
            Ok(Scalar::UInt(v))
        }

        fn visit_f64<E>(self, v: f64) -> Result<Scalar<'de>, E> {
            Ok(Scalar::Float(v))
        }

        fn visit_bool<E>(self, v: bool) -> Result<Scalar<'de>, E> {
            Ok(Scalar::Bool(v))
        }

        fn visit_unit<E>(self) -> Result<Scalar<'de>, E> {
            Ok(Scalar::Other)
        }

        fn visit_none<E>(self) -> Result<Scalar<'de>, E> {
            Ok(Scalar::Other)
        }

        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Scalar<'de>, D::Error> {
            d.deserialize_any(ScalarVisitor)
        }

        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Scalar<'de>, A::Error> {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            Ok(Scalar::Other)
        }

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Scalar<'de>, A::Error> {
            while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
            Ok(Scalar::Other)
        }
    }

    /// The items of a list kept by `keep`; anything but a list reads as empty.
    fn list_of<'de, D, T>(d: D, keep: fn(Scalar<'de>) -> Option<T>) -> Result<Vec<T>, D::Error>
    where
        D: Deserializer<'de>,
    {
        d.deserialize_any(ListVisitor { keep })
    }

    struct ListVisitor<'de, T> {
        keep: fn(Scalar<'de>) -> Option<T>,
    }

    impl<'de, T> Visitor<'de> for ListVisitor<'de, T> {
        type Value = Vec<T>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("any JSON value")
        }

        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<T>, A::Error> {
            let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
            while let Some(item) = seq.next_element::<Scalar<'de>>()? {
                items.extend((self.keep)(item));
            }
            Ok(items)
        }

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Vec<T>, A::Error> {
            while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
            Ok(Vec::new())
        }

        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Vec<T>, D::Error> {
            d.deserialize_any(self)
        }

        fn visit_none<E>(self) -> Result<Vec<T>, E> {
            Ok(Vec::new())
        }

        fn visit_unit<E>(self) -> Result<Vec<T>, E> {
            Ok(Vec::new())
        }

        fn visit_bool<E>(self, _: bool) -> Result<Vec<T>, E> {
            Ok(Vec::new())
        }

        fn visit_i64<E>(self, _: i64) -> Result<Vec<T>, E> {
            Ok(Vec::new())
        }

        fn visit_u64<E>(self, _: u64) -> Result<Vec<T>, E> {
            Ok(Vec::new())
        }

        fn visit_f64<E>(self, _: f64) -> Result<Vec<T>, E> {
            Ok(Vec::new())
        }

        fn visit_str<E>(self, _: &str) -> Result<Vec<T>, E> {
            Ok(Vec::new())
        }
    }

    pub(crate) fn string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
        Ok(Scalar::deserialize(d)?.into_string())
    }

    pub(crate) fn opt_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
        let s = Scalar::deserialize(d)?.into_string();
        Ok(if s.is_empty() { None } else { Some(s) })
    }

    pub(crate) fn i64_or_zero<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
        Ok(Scalar::deserialize(d)?.as_i64().unwrap_or(0))
    }

    /// Negative or non-numeric values read as 0.
    pub(crate) fn u64_or_zero<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
        let n = match Scalar::deserialize(d)? {
            Scalar::UInt(n) => Some(n),
            Scalar::Int(_) | Scalar::Float(_) => None,
            other => other.as_i64().and_then(|n| u64::try_from(n).ok()),
        };
        Ok(n.unwrap_or(0))
    }

    pub(crate) fn u32_or_zero<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
        Ok(Scalar::deserialize(d)?.as_u32().unwrap_or(0))
    }

    pub(crate) fn opt_u32<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
        Ok(Scalar::deserialize(d)?.as_u32())
    }

    pub(crate) fn opt_i64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
        Ok(Scalar::deserialize(d)?.as_i64())
    }

    /// Kept as sent (extended attributes, external profile): these are rare and shaped freely.
    pub(crate) fn opt_value<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
        let v = Value::deserialize(d)?;
        Ok(if v.is_null() { None } else { Some(v) })
    }

    /// Required id: a number or a numeric string.
    pub(crate) fn id_u32<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
        let v = Scalar::deserialize(d)?;
        v.as_u32().ok_or_else(|| serde::de::Error::custom(format!("invalid id {}", v.describe())))
    }

    /// Required id: a number or a numeric string.
    pub(crate) fn id_i64<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
        let v = Scalar::deserialize(d)?;
        v.as_i64().ok_or_else(|| serde::de::Error::custom(format!("invalid id {}", v.describe())))
    }

    /// Required userid: a non-empty string (a numeric userid may arrive as a number).
    pub(crate) fn userid<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
        let s = Scalar::deserialize(d)?.into_string();
        if s.is_empty() {
            Err(serde::de::Error::custom("empty userid"))
        } else {
            Ok(s)
        }
    }

    /// Items that are not ids are dropped rather than failing the record.
    pub(crate) fn vec_u32<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u32>, D::Error> {
        list_of(d, |item| item.as_u32())
    }

    pub(crate) fn vec_i64<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<i64>, D::Error> {
        list_of(d, |item| item.as_i64())
    }

    pub(crate) fn vec_string<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
        list_of(d, |item| Some(item.into_string()).filter(|s| !s.is_empty()))
    }

    /// A response's list container: absent or `null` is empty, anything but a list is an error.
    pub(crate) fn list<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
    where
        D: Deserializer<'de>,
        T: Deserialize<'de>,
    {
        Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
    }
}

/// Member gender. WeCom sends a string (`"0"`, `"1"`, `"2"`) in `user/get`; old answers and some
/// SDK fixtures use numbers. `"0"` also means "not returned" (apps created after 2022-06-20).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Gender {
    /// Not set, not returned, or an unknown value.
    #[default]
    Unspecified,
    /// `1`.
    Male,
    /// `2`.
    Female,
}

impl Gender {
    /// WeCom's numeric code.
    pub fn code(self) -> u8 {
        match self {
            Gender::Unspecified => 0,
            Gender::Male => 1,
            Gender::Female => 2,
        }
    }
}

impl<'de> Deserialize<'de> for Gender {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(match lenient::Scalar::deserialize(d)?.as_i64() {
            Some(1) => Gender::Male,
            Some(2) => Gender::Female,
            _ => Gender::Unspecified,
        })
    }
}

impl Serialize for Gender {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u8(self.code())
    }
}

/// Member status (`status` in `user/get` / `user/list` and in change events).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MemberStatus {
    /// 1 = activated (已激活).
    Active,
    /// 2 = disabled (已禁用).
    Disabled,
    /// 4 = not activated yet (未激活).
    NotActivated,
    /// 5 = left the corp (退出企业).
    Left,
    /// Any other value, kept as sent.
    Other(i64),
}

impl MemberStatus {
    /// From WeCom's number.
    pub fn from_code(code: i64) -> Self {
        match code {
            1 => MemberStatus::Active,
            2 => MemberStatus::Disabled,
            4 => MemberStatus::NotActivated,
            5 => MemberStatus::Left,
            other => MemberStatus::Other(other),
        }
    }

    /// WeCom's number.
    pub fn code(self) -> i64 {
        match self {
            MemberStatus::Active => 1,
            MemberStatus::Disabled => 2,
            MemberStatus::NotActivated => 4,
            MemberStatus::Left => 5,
            MemberStatus::Other(n) => n,
        }
    }

    /// Disabled or left: such a member must not be able to log in (wecom-api.md §12).
    pub fn is_disabled_or_left(self) -> bool {
        matches!(self, MemberStatus::Disabled | MemberStatus::Left)
    }
}

impl<'de> Deserialize<'de> for MemberStatus {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = Value::deserialize(d)?;
        Ok(MemberStatus::from_code(lenient::as_i64(&v).unwrap_or(0)))
    }
}

impl Serialize for MemberStatus {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i64(self.code())
    }
}

/// The app's details and visible range (`agent/get`), with the nested `allow_*` objects
/// flattened.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Agent {
    /// The app's AgentID.
    pub agentid: i64,
    /// App name.
    pub name: String,
    /// Square logo URL.
    pub square_logo_url: String,
    /// Description.
    pub description: String,
    /// 0 = active, 1 = disabled (停用).
    pub close: i64,
    /// The trusted domain (可信域名) for in-WeCom OAuth.
    pub redirect_domain: String,
    /// App home page (应用主页).
    pub home_url: String,
    /// Userids put in the visible range one by one (`allow_userinfos.user[].userid`).
    pub allow_userinfos: Vec<String>,
    /// Departments in the visible range, sub-trees included (`allow_partys.partyid`).
    pub allow_partys: Vec<u32>,
    /// Tags in the visible range (`allow_tags.tagid`).
    pub allow_tags: Vec<u32>,
}

#[derive(Deserialize)]
struct RawAgent {
    #[serde(deserialize_with = "lenient::id_i64")]
    agentid: i64,
    #[serde(default, deserialize_with = "lenient::string")]
    name: String,
    #[serde(default, deserialize_with = "lenient::string")]
    square_logo_url: String,
    #[serde(default, deserialize_with = "lenient::string")]
    description: String,
    #[serde(default, deserialize_with = "lenient::i64_or_zero")]
    close: i64,
    #[serde(default, deserialize_with = "lenient::string")]
    redirect_domain: String,
    #[serde(default, deserialize_with = "lenient::string")]
    home_url: String,
    #[serde(default)]
    allow_userinfos: Value,
    #[serde(default)]
    allow_partys: Value,
    #[serde(default)]
    allow_tags: Value,
}

impl<'de> Deserialize<'de> for Agent {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = RawAgent::deserialize(d)?;
        let ids = |v: &Value, key: &str| -> Vec<u32> {
            lenient::as_list(&v[key]).iter().filter_map(lenient::as_u32).collect()
        };
        // Legacy answers carried `status` next to `userid`; only the id matters here.
        let allow_userinfos = lenient::as_list(&raw.allow_userinfos["user"])
            .iter()
            .map(|u| lenient::as_string(&u["userid"]))
            .filter(|s| !s.is_empty())
            .collect();
        Ok(Agent {
            agentid: raw.agentid,
            name: raw.name,
            square_logo_url: raw.square_logo_url,
            description: raw.description,
            close: raw.close,
            redirect_domain: raw.redirect_domain,
            home_url: raw.home_url,
            allow_userinfos,
            allow_partys: ids(&raw.allow_partys, "partyid"),
            allow_tags: ids(&raw.allow_tags, "tagid"),
        })
    }
}

/// A department (`department/list`, `department/get`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Department {
    /// Department id (1 = root).
    #[serde(deserialize_with = "lenient::id_u32")]
    pub id: u32,
    /// Name.
    #[serde(default, deserialize_with = "lenient::string")]
    pub name: String,
    /// English name, when multilingual names are enabled.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub name_en: Option<String>,
    /// Leaders' userids (only those inside the app's scope).
    #[serde(default, deserialize_with = "lenient::vec_string")]
    pub department_leader: Vec<String>,
    /// Parent id (1 for top-level departments, 0 for the root).
    #[serde(default, deserialize_with = "lenient::u32_or_zero")]
    pub parentid: u32,
    /// Sibling order, larger first; range [0, 2^32).
    #[serde(default, deserialize_with = "lenient::u64_or_zero")]
    pub order: u64,
}

/// A department id row (`department/simplelist`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DepartmentId {
    /// Department id.
    #[serde(deserialize_with = "lenient::id_u32")]
    pub id: u32,
    /// Parent id.
    #[serde(default, deserialize_with = "lenient::u32_or_zero")]
    pub parentid: u32,
    /// Sibling order.
    #[serde(default, deserialize_with = "lenient::u64_or_zero")]
    pub order: u64,
}

/// A member row of `user/simplelist`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimpleMember {
    /// Userid (case-insensitive in WeCom).
    #[serde(deserialize_with = "lenient::userid")]
    pub userid: String,
    /// Display name.
    #[serde(default, deserialize_with = "lenient::string")]
    pub name: String,
    /// Departments (only those the app may see).
    #[serde(default, deserialize_with = "lenient::vec_u32")]
    pub department: Vec<u32>,
    /// Only for third-party apps.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub open_userid: Option<String>,
}

/// A row of `user/list` as a directory read keeps it: the fields a snapshot uses. The others
/// (contact details, avatars, extended attributes) are skipped while the answer is read instead
/// of being built and dropped: at 50,000 members that was most of the read's allocations.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListedMember {
    /// Userid (case-insensitive in WeCom).
    #[serde(deserialize_with = "lenient::userid")]
    pub userid: String,
    /// Display name (not unique).
    #[serde(default, deserialize_with = "lenient::string")]
    pub name: String,
    /// Departments the app may see.
    #[serde(default, deserialize_with = "lenient::vec_u32")]
    pub department: Vec<u32>,
    /// Job title.
    #[serde(default, deserialize_with = "lenient::string")]
    pub position: String,
    /// As in [`Member::status`]: 0 when not sent.
    #[serde(default, deserialize_with = "lenient::i64_or_zero")]
    pub status: i64,
}

impl From<Member> for ListedMember {
    fn from(m: Member) -> ListedMember {
        ListedMember {
            userid: m.userid,
            name: m.name,
            department: m.department,
            position: m.position,
            status: m.status,
        }
    }
}

/// A member (`user/get`, rows of `user/list`). Fields marked sensitive are empty for apps created
/// after 2022-06-20 (wecom-api.md §4.4). `Debug` shows who the member is, never the personal
/// data (mobile, email, address and the like).
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Member {
    /// Userid (case-insensitive in WeCom).
    #[serde(deserialize_with = "lenient::userid")]
    pub userid: String,
    /// Display name (not unique).
    #[serde(default, deserialize_with = "lenient::string")]
    pub name: String,
    /// Departments the app may see.
    #[serde(default, deserialize_with = "lenient::vec_u32")]
    pub department: Vec<u32>,
    /// Order within each department, aligned with `department`.
    #[serde(default, deserialize_with = "lenient::vec_i64")]
    pub order: Vec<i64>,
    /// Job title.
    #[serde(default, deserialize_with = "lenient::string")]
    pub position: String,
    /// Mobile (sensitive).
    #[serde(default, deserialize_with = "lenient::string")]
    pub mobile: String,
    /// Gender (sensitive).
    #[serde(default)]
    pub gender: Gender,
    /// Email (sensitive).
    #[serde(default, deserialize_with = "lenient::string")]
    pub email: String,
    /// Corporate mailbox (sensitive).
    #[serde(default, deserialize_with = "lenient::string")]
    pub biz_mail: String,
    /// 1/0 per department, aligned with `department`.
    #[serde(default, deserialize_with = "lenient::vec_i64")]
    pub is_leader_in_dept: Vec<i64>,
    /// Direct managers' userids.
    #[serde(default, deserialize_with = "lenient::vec_string")]
    pub direct_leader: Vec<String>,
    /// Avatar URL (sensitive).
    #[serde(default, deserialize_with = "lenient::string")]
    pub avatar: String,
    /// Thumbnail URL.
    #[serde(default, deserialize_with = "lenient::string")]
    pub thumb_avatar: String,
    /// Landline.
    #[serde(default, deserialize_with = "lenient::string")]
    pub telephone: String,
    /// Alias.
    #[serde(default, deserialize_with = "lenient::string")]
    pub alias: String,
    /// Address (sensitive).
    #[serde(default, deserialize_with = "lenient::string")]
    pub address: String,
    /// Only for third-party apps.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub open_userid: Option<String>,
    /// Main department, when the app may see it.
    #[serde(default, deserialize_with = "lenient::opt_u32")]
    pub main_department: Option<u32>,
    /// 1 activated, 2 disabled, 4 not activated, 5 left; 0 when not sent (see
    /// [`Member::status_kind`]).
    #[serde(default, deserialize_with = "lenient::i64_or_zero")]
    pub status: i64,
    /// Personal QR code URL (sensitive).
    #[serde(default, deserialize_with = "lenient::string")]
    pub qr_code: String,
    /// External title.
    #[serde(default, deserialize_with = "lenient::string")]
    pub external_position: String,
    /// Legacy field seen in `user/list` examples.
    #[serde(default, deserialize_with = "lenient::string")]
    pub english_name: String,
    /// Legacy `enable` (1/0), when sent.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub enable: Option<i64>,
    /// Extended attributes, as sent (`{"attrs":[...]}`).
    #[serde(default, deserialize_with = "lenient::opt_value")]
    pub extattr: Option<Value>,
    /// External profile, as sent.
    #[serde(default, deserialize_with = "lenient::opt_value")]
    pub external_profile: Option<Value>,
}

impl std::fmt::Debug for Member {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Member")
            .field("userid", &self.userid)
            .field("name", &self.name)
            .field("department", &self.department)
            .field("position", &self.position)
            .field("main_department", &self.main_department)
            .field("status", &self.status)
            .finish_non_exhaustive()
    }
}

impl Member {
    /// `status` as an enum; `None` when WeCom did not send it.
    pub fn status_kind(&self) -> Option<MemberStatus> {
        (self.status != 0).then(|| MemberStatus::from_code(self.status))
    }
}

/// A tag (`tag/list`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TagSummary {
    /// Tag id.
    #[serde(deserialize_with = "lenient::id_u32")]
    pub tagid: u32,
    /// Tag name.
    #[serde(default, deserialize_with = "lenient::string")]
    pub tagname: String,
}

/// A member listed in a tag.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TagUser {
    /// Userid.
    #[serde(deserialize_with = "lenient::userid")]
    pub userid: String,
    /// Display name.
    #[serde(default, deserialize_with = "lenient::string")]
    pub name: String,
}

/// A tag's members (`tag/get`): only members inside the app's scope; departments in
/// `partylist` must be expanded by the caller.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TagMembers {
    /// The tag asked for (not in WeCom's answer; filled in by the client).
    #[serde(default)]
    pub tagid: u32,
    /// Tag name.
    #[serde(default, deserialize_with = "lenient::string")]
    pub tagname: String,
    /// Members directly in the tag.
    #[serde(default, deserialize_with = "lenient::list")]
    pub userlist: Vec<TagUser>,
    /// Departments in the tag.
    #[serde(default, deserialize_with = "lenient::vec_u32")]
    pub partylist: Vec<u32>,
}

/// Who an OAuth code belongs to (`auth/getuserinfo`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CodeIdentity {
    /// A member of the corp (for linked corps the userid reads `CorpId/userid`).
    Member {
        /// The member's userid.
        userid: String,
        /// Ticket for `auth/getuserdetail`, valid 1800 s; only with `snsapi_privateinfo` and a
        /// member inside the app's scope.
        user_ticket: Option<Secret>,
    },
    /// Not a member of the corp.
    NonMember {
        /// Per-corp id of the WeChat user.
        openid: String,
        /// When the person is a customer of the corp.
        external_userid: Option<String>,
    },
}

/// Both spellings: `auth/getuserinfo` uses lower case; the legacy `user/getuserinfo` (still used
/// by many SDKs and possibly by a gateway in front of WeCom) uses `UserId` / `OpenId`. Separate
/// fields rather than `alias` so that an answer carrying both is not a duplicate-field error.
#[derive(Deserialize)]
struct RawCodeIdentity {
    #[serde(default, deserialize_with = "lenient::string")]
    userid: String,
    #[serde(default, rename = "UserId", deserialize_with = "lenient::string")]
    user_id_legacy: String,
    #[serde(default, deserialize_with = "lenient::string")]
    openid: String,
    #[serde(default, rename = "OpenId", deserialize_with = "lenient::string")]
    open_id_legacy: String,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    user_ticket: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    external_userid: Option<String>,
}

impl<'de> Deserialize<'de> for CodeIdentity {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = RawCodeIdentity::deserialize(d)?;
        let pick = |a: String, b: String| if a.is_empty() { b } else { a };
        let userid = pick(raw.userid, raw.user_id_legacy);
        let openid = pick(raw.openid, raw.open_id_legacy);
        if !userid.is_empty() {
            Ok(CodeIdentity::Member { userid, user_ticket: raw.user_ticket.map(Secret::new) })
        } else if !openid.is_empty() {
            Ok(CodeIdentity::NonMember { openid, external_userid: raw.external_userid })
        } else {
            Err(serde::de::Error::custom("neither userid nor openid in the answer"))
        }
    }
}

/// Sensitive member fields the member consented to (`auth/getuserdetail`). Each is empty unless
/// the admin enabled it in the app's 成员敏感信息 settings and the member agreed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserDetail {
    /// Userid.
    #[serde(deserialize_with = "lenient::userid")]
    pub userid: String,
    /// Gender.
    #[serde(default)]
    pub gender: Gender,
    /// Avatar URL.
    #[serde(default, deserialize_with = "lenient::string")]
    pub avatar: String,
    /// QR code URL.
    #[serde(default, deserialize_with = "lenient::string")]
    pub qr_code: String,
    /// Mobile.
    #[serde(default, deserialize_with = "lenient::string")]
    pub mobile: String,
    /// Email.
    #[serde(default, deserialize_with = "lenient::string")]
    pub email: String,
    /// Corporate mailbox.
    #[serde(default, deserialize_with = "lenient::string")]
    pub biz_mail: String,
    /// Address.
    #[serde(default, deserialize_with = "lenient::string")]
    pub address: String,
}

// ---- response containers (the envelope fields next to them are read separately) ----

#[derive(Deserialize)]
pub(crate) struct TokenResponse {
    #[serde(default, deserialize_with = "lenient::string")]
    pub(crate) access_token: String,
    #[serde(default, deserialize_with = "lenient::i64_or_zero")]
    pub(crate) expires_in: i64,
}

/// `department` is required: a success without it (a proxy's `{}`) would read as an organisation
/// with no departments. WeCom sends `[]` when the app sees none.
#[derive(Deserialize)]
pub(crate) struct DepartmentListResponse {
    #[serde(deserialize_with = "lenient::list")]
    pub(crate) department: Vec<Department>,
}

#[derive(Deserialize)]
pub(crate) struct DepartmentSimpleListResponse {
    #[serde(default, deserialize_with = "lenient::list")]
    pub(crate) department_id: Vec<DepartmentId>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct DepartmentGetResponse {
    pub(crate) department: Department,
}

/// `userlist` is required: a success without it (a proxy's `{}`) would read as an empty
/// department, and a complete snapshot missing its members proposes their bindings for removal.
/// WeCom sends `[]` for an empty department; whether it ever leaves the key out is not
/// documented, and if it did the department is reported unread (the snapshot is then partial,
/// which never removes a binding) rather than empty.
#[derive(Deserialize)]
#[serde(bound(deserialize = "T: Deserialize<'de>"))]
pub(crate) struct UserListResponse<T> {
    #[serde(deserialize_with = "lenient::list")]
    pub(crate) userlist: Vec<T>,
}

#[derive(Deserialize)]
pub(crate) struct TagListResponse {
    #[serde(default, deserialize_with = "lenient::list")]
    pub(crate) taglist: Vec<TagSummary>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A success without the directory's list (a proxy's `{}`) is not an empty department.
    #[test]
    fn a_directory_answer_without_its_list_is_refused_not_empty() {
        assert!(serde_json::from_str::<UserListResponse<ListedMember>>(r#"{"errcode":0,"errmsg":"ok"}"#).is_err());
        assert!(serde_json::from_str::<UserListResponse<Member>>("{}").is_err());
        assert!(serde_json::from_str::<DepartmentListResponse>(r#"{"errcode":0}"#).is_err());
        let empty: UserListResponse<ListedMember> =
            serde_json::from_str(r#"{"errcode":0,"userlist":[]}"#).expect("an empty department");
        assert!(empty.userlist.is_empty());
    }

    /// A key sent twice is ambiguous: the page is refused (reported unread), never read with one
    /// copy silently dropped.
    #[test]
    fn a_key_sent_twice_refuses_the_answer() {
        let twice_list = r#"{"errcode":0,"userlist":[{"userid":"a"}],"userlist":[{"userid":"b"}]}"#;
        assert!(serde_json::from_str::<UserListResponse<ListedMember>>(twice_list).is_err());
        let twice_field = r#"{"errcode":0,"userlist":[{"userid":"zs","name":"张三","name":"李四"}]}"#;
        assert!(serde_json::from_str::<UserListResponse<ListedMember>>(twice_field).is_err());
    }

    /// The brief rows a directory read keeps are the full member's fields, read alike.
    #[test]
    fn a_listed_member_reads_its_fields_as_the_full_member_does() {
        let page = r#"{"errcode":0,"userlist":[
            {"userid":"ZhangSan","name":"张三","department":["2",3],"position":7,"status":"1","mobile":"13800000000"},
            {"userid":"lisi","name":null,"department":null,"position":"工程师","status":5.0},
            {"userid":"wangwu","department":[4,"x"],"status":"4"}
        ]}"#;
        let full: UserListResponse<Member> = serde_json::from_str(page).expect("full");
        let brief: UserListResponse<ListedMember> = serde_json::from_str(page).expect("brief");
        let from_full: Vec<ListedMember> = full.userlist.into_iter().map(ListedMember::from).collect();
        assert_eq!(brief.userlist, from_full);
    }

    /// A member's Debug output names them, never their personal data.
    #[test]
    fn a_members_debug_output_has_no_personal_data() {
        let m = Member {
            userid: "zs".into(),
            name: "张三".into(),
            mobile: "13800000000".into(),
            email: "zs@example.com".into(),
            biz_mail: "zs@corp.example".into(),
            address: "北京市".into(),
            ..Member::default()
        };
        let shown = format!("{m:?}");
        assert!(shown.contains("zs") && shown.contains("张三"), "{shown}");
        for secret in ["13800000000", "zs@example.com", "zs@corp.example", "北京市"] {
            assert!(!shown.contains(secret), "{shown}");
        }
    }

    /// The byte-level readers give what the `Value` conversions give, for every JSON type.
    #[test]
    fn lenient_readers_read_as_the_value_conversions_do() {
        #[derive(Deserialize)]
        struct Probe {
            #[serde(deserialize_with = "lenient::string")]
            s: String,
            #[serde(deserialize_with = "lenient::opt_i64")]
            i: Option<i64>,
            #[serde(deserialize_with = "lenient::opt_u32")]
            u: Option<u32>,
            #[serde(deserialize_with = "lenient::vec_string")]
            list: Vec<String>,
            #[serde(deserialize_with = "lenient::vec_i64")]
            ints: Vec<i64>,
        }
        let samples = [
            r#""plain""#,
            r#""esc\"aped \u5f20""#,
            r#"" 42 ""#,
            "42",
            "-7",
            "18446744073709551615",
            "1.0",
            "2.5e3",
            "true",
            "false",
            "null",
            "[]",
            r#"[1,"2",null,[3],{"a":1},true,"",2.5]"#,
            r#"{"a":[1,2]}"#,
        ];
        for raw in samples {
            let body = format!(r#"{{"s":{raw},"i":{raw},"u":{raw},"list":{raw},"ints":{raw}}}"#);
            let probe: Probe = serde_json::from_slice(body.as_bytes()).expect(raw);
            let v: Value = serde_json::from_str(raw).expect(raw);
            assert_eq!(probe.s, lenient::as_string(&v), "{raw}");
            assert_eq!(probe.i, lenient::as_i64(&v), "{raw}");
            assert_eq!(probe.u, lenient::as_u32(&v), "{raw}");
            let strings: Vec<String> =
                lenient::as_list(&v).iter().map(lenient::as_string).filter(|s| !s.is_empty()).collect();
            assert_eq!(probe.list, strings, "{raw}");
            let ints: Vec<i64> = lenient::as_list(&v).iter().filter_map(lenient::as_i64).collect();
            assert_eq!(probe.ints, ints, "{raw}");
        }
    }

    #[test]
    fn agent_flattens_nested_scope() {
        let a: Agent = serde_json::from_value(json!({
            "errcode": 0, "errmsg": "ok",
            "agentid": 1000005, "name": "HR助手",
            "square_logo_url": "https://p.qlogo.cn/bizmail/x/0",
            "description": "HR服务与员工自助平台",
            "allow_userinfos": {"user": [{"userid": "zhangshan"}, {"userid": "lisi", "status": 1}]},
            "allow_partys": {"partyid": [1]},
            "allow_tags": {"tagid": [1, 2, 3]},
            "close": 0, "redirect_domain": "open.work.weixin.qq.com",
            "report_location_flag": 0, "isreportenter": 0,
            "home_url": "https://open.work.weixin.qq.com",
            "customized_publish_status": 1
        }))
        .unwrap();
        assert_eq!(a.agentid, 1000005);
        assert_eq!(a.allow_userinfos, vec!["zhangshan", "lisi"]);
        assert_eq!(a.allow_partys, vec![1]);
        assert_eq!(a.allow_tags, vec![1, 2, 3]);
        assert_eq!(a.close, 0);
        assert_eq!(a.home_url, "https://open.work.weixin.qq.com");

        let minimal: Agent =
            serde_json::from_value(json!({"agentid": "1000002", "close": 1, "allow_partys": {}})).unwrap();
        assert_eq!(minimal.agentid, 1000002);
        assert_eq!(minimal.close, 1);
        assert!(minimal.allow_partys.is_empty() && minimal.allow_userinfos.is_empty());
        assert!(serde_json::from_value::<Agent>(json!({"name": "x"})).is_err());
    }

    #[test]
    fn member_gender_string_or_int_and_status() {
        let m: Member = serde_json::from_value(json!({
            "userid": "zhangsan", "name": "张三", "department": [1, 2], "order": [1, 2],
            "position": "后台工程师", "mobile": "13800000000", "gender": "1",
            "email": "zhangsan@gzdev.com", "is_leader_in_dept": [1, 0],
            "direct_leader": ["lisi"], "avatar": "http://wx.qlogo.cn/mmopen/ajNVdqHZLLA3WJ6DSZUfiakYe37PKnQhBIeOQBO4czqrnZDS79FH5Wm5m4X69TBicnHFlhiafvDwklOpZeXYQQ2icg/0",
            "thumb_avatar": "", "telephone": "020-123456", "alias": "jackzhang",
            "address": "广州市海珠区新港中路", "open_userid": "xxxxxx", "main_department": 1,
            "extattr": {"attrs": [{"type": 0, "name": "文本名称", "text": {"value": "文本"}}]},
            "status": 1, "qr_code": "https://open.work.weixin.qq.com/wwopen/userQRCode?vcode=xxx",
            "external_position": "产品经理", "unknown_future_field": {"x": 1}
        }))
        .unwrap();
        assert_eq!(m.gender, Gender::Male);
        assert_eq!(m.status, 1);
        assert_eq!(m.status_kind(), Some(MemberStatus::Active));
        assert_eq!(m.department, vec![1, 2]);
        assert_eq!(m.main_department, Some(1));
        assert_eq!(m.open_userid.as_deref(), Some("xxxxxx"));
        assert!(m.extattr.is_some());

        let legacy: Member = serde_json::from_value(json!({
            "userid": "lisi", "gender": 2, "status": "5", "department": ["3", "x", 4],
            "name": null, "mobile": 13800000000u64, "enable": 1, "english_name": "Li"
        }))
        .unwrap();
        assert_eq!(legacy.gender, Gender::Female);
        assert_eq!(legacy.status, 5);
        assert!(legacy.status_kind().is_some_and(MemberStatus::is_disabled_or_left));
        assert_eq!(legacy.department, vec![3, 4]);
        assert_eq!(legacy.name, "");
        assert_eq!(legacy.mobile, "13800000000");

        let bare: Member = serde_json::from_value(json!({"userid": "wangwu"})).unwrap();
        assert_eq!(bare.gender, Gender::Unspecified);
        assert_eq!(bare.status_kind(), None);
        assert!(serde_json::from_value::<Member>(json!({"name": "no id"})).is_err());
        assert!(serde_json::from_value::<Member>(json!({"userid": ""})).is_err());
        for (g, want) in
            [(json!("0"), Gender::Unspecified), (json!("2"), Gender::Female), (json!(7), Gender::Unspecified)]
        {
            let m: Member = serde_json::from_value(json!({"userid": "u", "gender": g})).unwrap();
            assert_eq!(m.gender, want);
        }
        let other: Member = serde_json::from_value(json!({"userid": "u", "status": 9})).unwrap();
        assert_eq!(other.status_kind(), Some(MemberStatus::Other(9)));
    }

    #[test]
    fn departments_and_tags() {
        let l: DepartmentListResponse = serde_json::from_value(json!({
            "errcode": 0, "errmsg": "ok",
            "department": [
                {"id": 2, "name": "广州研发中心", "name_en": "RDGZ", "department_leader": ["zhangsan", "lisi"], "parentid": 1, "order": 10},
                {"id": 3, "name": "邮箱产品部", "parentid": 2, "order": 40}
            ]
        }))
        .unwrap();
        assert_eq!(l.department.len(), 2);
        assert_eq!(l.department[0].name_en.as_deref(), Some("RDGZ"));
        assert_eq!(l.department[1].name_en, None);
        assert_eq!(l.department[1].parentid, 2);

        let null_list: DepartmentListResponse = serde_json::from_value(json!({"department": null})).unwrap();
        assert!(null_list.department.is_empty());
        assert!(serde_json::from_value::<DepartmentListResponse>(json!({"department": "x"})).is_err());

        let t: TagMembers = serde_json::from_value(json!({
            "errcode": 0, "errmsg": "ok", "tagname": "乒乓球协会",
            "userlist": [{"userid": "zhangsan", "name": "李四"}], "partylist": [2]
        }))
        .unwrap();
        assert_eq!(t.userlist[0].userid, "zhangsan");
        assert_eq!(t.partylist, vec![2]);

        let tags: TagListResponse = serde_json::from_value(json!({
            "taglist": [{"tagid": 1, "tagname": "a"}, {"tagid": "2", "tagname": "b"}]
        }))
        .unwrap();
        assert_eq!(tags.taglist[1].tagid, 2);
    }

    #[test]
    fn code_identity_both_spellings() {
        let m: CodeIdentity = serde_json::from_value(json!({
            "errcode": 0, "errmsg": "ok", "userid": "USERID", "user_ticket": "USER_TICKET"
        }))
        .unwrap();
        match &m {
            CodeIdentity::Member { userid, user_ticket } => {
                assert_eq!(userid, "USERID");
                assert_eq!(user_ticket.as_ref().map(Secret::expose), Some("USER_TICKET"));
            }
            other => panic!("{other:?}"),
        }
        assert!(!format!("{m:?}").contains("USER_TICKET"));

        let legacy: CodeIdentity = serde_json::from_value(json!({"UserId": "zhangsan", "DeviceId": "d"})).unwrap();
        assert_eq!(legacy, CodeIdentity::Member { userid: "zhangsan".into(), user_ticket: None });
        let non: CodeIdentity = serde_json::from_value(json!({"openid": "OPENID", "external_userid": "EXT"})).unwrap();
        assert_eq!(non, CodeIdentity::NonMember { openid: "OPENID".into(), external_userid: Some("EXT".into()) });
        let legacy_non: CodeIdentity = serde_json::from_value(json!({"OpenId": "o1"})).unwrap();
        assert!(matches!(legacy_non, CodeIdentity::NonMember { .. }));
        assert!(serde_json::from_value::<CodeIdentity>(json!({"errmsg": "ok"})).is_err());
    }
}
