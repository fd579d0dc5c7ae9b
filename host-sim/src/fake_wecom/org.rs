//! The organisation the fake serves: the `--org FILE` JSON model and its load-time checks.
//!
//! Field names follow the file format documented in the module docs; the WeCom spellings
//! (`agentid`, `parentid`, `tagid`, `department`) are accepted as aliases because people copy
//! them from API answers. Unknown fields are refused so that a typo is an error, not a silently
//! empty value.

use anyhow::{bail, Context};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use std::path::Path;

/// One WeCom corporation: its self-built apps and its directory.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Org {
    /// `ww…` corp id, checked by `gettoken`.
    #[serde(alias = "corpid")]
    pub corp_id: String,
    pub corp_name: String,
    pub apps: Vec<App>,
    pub departments: Vec<Department>,
    pub users: Vec<User>,
    pub tags: Vec<Tag>,
}

/// A self-built app (自建应用) with its secret and visible range (可见范围).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct App {
    #[serde(alias = "agentid")]
    pub agent_id: i64,
    pub name: String,
    pub secret: String,
    pub square_logo_url: String,
    pub description: String,
    /// 1 = disabled (停用): business calls answer 50003.
    pub close: i32,
    pub home_url: String,
    /// The trusted domain (可信域名) for OAuth redirects.
    pub redirect_domain: String,
    /// 企业可信IP. Empty = no restriction, as for apps created before 2022-06-20.
    pub trusted_ips: Vec<String>,
    /// Departments in the visible range; their sub-trees are visible too.
    #[serde(alias = "allow_partys")]
    pub allow_departments: Vec<u32>,
    /// Members put in the visible range one by one.
    pub allow_users: Vec<String>,
    /// Tags in the visible range: their members and their departments' members are visible.
    pub allow_tags: Vec<u32>,
}

/// A department (部门). Id 1 is the root; its `parent_id` is 0.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Department {
    pub id: u32,
    pub name: String,
    #[serde(alias = "parentid")]
    pub parent_id: u32,
    /// Sibling order; larger sorts first.
    pub order: u32,
    /// Only set when the corp has multilingual names; omitted from answers when absent.
    pub name_en: Option<String>,
}

/// A member (成员).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct User {
    pub userid: String,
    pub name: String,
    #[serde(alias = "department")]
    pub departments: Vec<u32>,
    /// 0 = the first of `departments`.
    pub main_department: u32,
    pub position: String,
    /// 1 activated, 2 disabled, 4 not activated, 5 left the corp.
    pub status: i32,
    pub alias: String,
    /// The mobile number WeCom gives `auth/getuserdetail` when the member consents
    /// (`snsapi_privateinfo`); empty when unknown.
    pub mobile: String,
    /// The email given likewise.
    pub email: String,
}

impl Default for User {
    fn default() -> Self {
        // A hand-written member without a status is an ordinary active one.
        User {
            userid: String::new(),
            name: String::new(),
            departments: Vec::new(),
            main_department: 0,
            position: String::new(),
            status: 1,
            alias: String::new(),
            mobile: String::new(),
            email: String::new(),
        }
    }
}

/// A tag (标签) with member users and member departments.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Tag {
    #[serde(alias = "tagid")]
    pub tag_id: u32,
    #[serde(alias = "tagname")]
    pub name: String,
    pub users: Vec<String>,
    pub departments: Vec<u32>,
}

impl Org {
    /// Reads and checks an organisation file. Errors name the file and what is wrong with it.
    pub fn from_json_file(path: &Path) -> anyhow::Result<Org> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read organisation file {}", path.display()))?;
        let org: Org = serde_json::from_str(&text)
            .with_context(|| format!("organisation file {} is not valid organisation JSON", path.display()))?;
        org.validate().with_context(|| format!("organisation file {} is inconsistent", path.display()))?;
        Ok(org)
    }

    /// Load-time consistency checks. Live edits through `with_org` are not checked: the server
    /// copes with any shape (dangling ids, cycles) so that tests can build broken directories.
    pub(crate) fn validate(&self) -> anyhow::Result<()> {
        if self.corp_id.trim().is_empty() {
            bail!("corp_id is empty");
        }
        let mut agents = HashSet::new();
        let mut secrets = HashSet::new();
        for app in &self.apps {
            if !agents.insert(app.agent_id) {
                bail!("app agent_id {} appears twice", app.agent_id);
            }
            if app.secret.is_empty() {
                bail!("app {} has an empty secret", app.agent_id);
            }
            // gettoken finds the app by secret, so two apps may not share one.
            if !secrets.insert(app.secret.as_str()) {
                bail!("app {} uses the same secret as another app", app.agent_id);
            }
        }
        let mut parents: HashMap<u32, u32> = HashMap::new();
        for d in &self.departments {
            if d.id == 0 {
                bail!("department {:?} has id 0 (ids start at 1; 0 means \"no parent\")", d.name);
            }
            if parents.insert(d.id, d.parent_id).is_some() {
                bail!("department id {} appears twice", d.id);
            }
        }
        for d in &self.departments {
            if d.parent_id != 0 && !parents.contains_key(&d.parent_id) {
                bail!("department {} has parent_id {}, which is not a department", d.id, d.parent_id);
            }
            let mut seen = HashSet::from([d.id]);
            let mut cur = d.parent_id;
            while cur != 0 {
                if !seen.insert(cur) {
                    bail!("department {} is its own ancestor (parent_id cycle)", d.id);
                }
                cur = parents.get(&cur).copied().unwrap_or(0);
            }
        }
        let mut userids = HashSet::new();
        for u in &self.users {
            if u.userid.is_empty() {
                bail!("a user named {:?} has an empty userid", u.name);
            }
            if !userids.insert(u.userid.to_lowercase()) {
                bail!("userid {} appears twice (userids are case-insensitive)", u.userid);
            }
            for d in &u.departments {
                if !parents.contains_key(d) {
                    bail!("user {} is in department {}, which does not exist", u.userid, d);
                }
            }
            if u.main_department != 0 && !u.departments.contains(&u.main_department) {
                bail!(
                    "user {} has main_department {}, which is not one of its departments",
                    u.userid,
                    u.main_department
                );
            }
        }
        let mut tag_ids = HashSet::new();
        for t in &self.tags {
            if !tag_ids.insert(t.tag_id) {
                bail!("tag id {} appears twice", t.tag_id);
            }
            for u in &t.users {
                if !userids.contains(&u.to_lowercase()) {
                    bail!("tag {} lists user {}, who does not exist", t.tag_id, u);
                }
            }
            for d in &t.departments {
                if !parents.contains_key(d) {
                    bail!("tag {} lists department {}, which does not exist", t.tag_id, d);
                }
            }
        }
        for app in &self.apps {
            for d in &app.allow_departments {
                if !parents.contains_key(d) {
                    bail!("app {} allows department {}, which does not exist", app.agent_id, d);
                }
            }
            for u in &app.allow_users {
                if !userids.contains(&u.to_lowercase()) {
                    bail!("app {} allows user {}, who does not exist", app.agent_id, u);
                }
            }
            for t in &app.allow_tags {
                if !tag_ids.contains(t) {
                    bail!("app {} allows tag {}, which does not exist", app.agent_id, t);
                }
            }
        }
        Ok(())
    }
}
