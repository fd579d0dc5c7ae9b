//! The platform side of the built-in sample organisation (the WeCom side is
//! `fake_wecom::Org::sample`). Arranged so the demo shows every kind of row: already bound
//! (白开水), name match (王晓楷, and Clear ↔ clear across letter case), two accounts of one name
//! (张旭), no match (人生如戏, 寸草心, 小岳岳), and a bound member who left WeCom (周敏).

use interface::{Binding, PlatformAccount};

fn account(id: &str, name: &str, departments: &[&str]) -> PlatformAccount {
    PlatformAccount {
        id: id.into(),
        name: name.into(),
        departments: departments.iter().map(|d| (*d).into()).collect(),
        enabled: true,
        mobile: Default::default(),
        email: Default::default(),
        ext: Default::default(),
    }
}

/// Platform accounts before the first sync.
pub fn accounts() -> Vec<PlatformAccount> {
    vec![
        account("u-1001", "李四", &["测试部门"]),
        account("u-1002", "tony", &["市场部门"]),
        account("u-1003", "白开水", &["研发部"]),
        account("u-1004", "王晓楷", &["研发部"]),
        account("u-1005", "clear", &["市场部门"]),
        account("u-1006", "张旭", &["销售部"]),
        account("u-1007", "张旭", &["行政部"]),
        account("u-1008", "周敏", &["测试部门"]),
    ]
}

/// The platform password of every sample account (public demo data, printed by the demo).
pub const DEMO_PASSWORD: &str = "wanxiang-demo";

/// Iterations of the sample accounts' password hashes. Imported passwords get
/// [`crate::host::password::ITERATIONS`]; the sample's public demo password gets a low cost so that the
/// demo and the tests (debug builds, where one full-cost hash takes seconds) stay quick.
pub const DEMO_ITERATIONS: u32 = 1_000;

/// `(account id, password hash)` of every sample account.
pub fn password_hashes() -> Vec<(String, String)> {
    accounts()
        .iter()
        .map(|a| {
            let salt = format!("sample-salt-{}", a.id);
            (a.id.to_string(), crate::host::password::hash_with(DEMO_PASSWORD, salt.as_bytes(), DEMO_ITERATIONS))
        })
        .collect()
}

/// Imports the sample accounts (with their demo password) and the earlier sync's bindings.
pub fn seed(store: &mut crate::store::Store) -> Result<(), crate::store::StoreError> {
    store.import_accounts_with_passwords(&accounts(), &password_hashes())?;
    store.import_bindings(&bindings())
}

/// Bindings made by an earlier sync.
pub fn bindings() -> Vec<Binding> {
    vec![
        Binding { userid: "baikaishui".into(), account_id: "u-1003".into(), evidence: Default::default() },
        Binding { userid: "zhoumin".into(), account_id: "u-1008".into(), evidence: Default::default() },
    ]
}
