//! A deterministic, realistic organisation for the benchmark, and the platform side to bind it to.
//!
//! Everything comes from one seeded [`fastrand::Rng`], so the same flags give the same directory
//! and the same accounts on every machine.
//!
//! - **Departments**: id 1 is the corp; every other department hangs under a random earlier one
//!   that is less than [`MAX_DEPTH`] levels deep, so the tree is up to six levels deep with a
//!   handful of top divisions and wide lower levels. Sibling names are unique, names repeat across
//!   the tree (many 测试部).
//! - **Members**: names are a surname (weighted by how common it is in China) and a given name
//!   (20 % one character from a short, skewed list, 80 % two characters), which gives the
//!   duplicates a real corp has and more (王伟 and 张伟 dozens of times in 100,000). Userids are
//!   pinyin with a number for repeats (`zhangwei`, `zhangwei2`), 2 % capitalised (`ZhangWei7`:
//!   userids are case-insensitive). About 1 % sit in the root, the rest spread over the other
//!   departments; 10 % are in two or three departments. Status: 90 % active (1), 3 % disabled (2),
//!   5 % not activated (4), 2 % left (5).
//! - **Tags**: 20 to 200 members each, and up to two departments at least three levels deep.
//! - **App** 1000002 sees department 1 (the whole tree); its homepage and trusted domain are set
//!   so that `configure` accepts it without warnings.
//! - **Platform**: as many accounts as members. 20 % of members are already bound (to an account
//!   of the same name, 5 % renamed since); 0.5 % of the bindings belong to userids WeCom no longer
//!   has; 40 % of the accounts copy an unbound member's name; the rest have names drawn like the
//!   members' (so both sides have duplicates of their own); 2 % are disabled. Half the
//!   accounts copied from a member carry that member's main department name.

use crate::fake_wecom::{App, Department, Org, Tag, User};
use crate::host::session::PlatformUrls;
use interface::{Binding, PlatformAccount};
use std::collections::HashMap;

/// Deepest level of the generated tree (the corp is level 1).
pub const MAX_DEPTH: u32 = 6;
/// The app the benchmark configures.
pub const AGENT_ID: i64 = 1000002;
/// Its Secret (fake only).
pub const SECRET: &str = "wanxiang-bench-secret-00000000000000000042";
/// The generated corp.
pub const CORP_ID: &str = "ww5e1b2c3d4f6a7b80";
const CORP_NAME: &str = "万象科技";

/// What to generate.
#[derive(Clone, Copy, Debug)]
pub struct Spec {
    /// Members.
    pub users: usize,
    /// Departments, the root included.
    pub departments: usize,
    /// Tags.
    pub tags: usize,
    /// Seed of the one random generator.
    pub seed: u64,
}

/// The generated organisation and platform.
#[derive(Debug)]
pub struct Generated {
    /// The WeCom side, for the fake.
    pub org: Org,
    /// The platform's accounts.
    pub accounts: Vec<PlatformAccount>,
    /// Existing bindings.
    pub bindings: Vec<Binding>,
    /// How many of `bindings` name a userid the org does not have.
    pub gone_bindings: usize,
    /// Depth of the deepest department.
    pub max_depth: u32,
}

/// (character(s), pinyin, weight). Surname weights are per-mille frequencies in China.
const SURNAMES: &[(&str, &str, f64)] = &[
    ("王", "wang", 71.0),
    ("李", "li", 70.0),
    ("张", "zhang", 67.0),
    ("刘", "liu", 54.0),
    ("陈", "chen", 45.0),
    ("杨", "yang", 31.0),
    ("黄", "huang", 22.0),
    ("赵", "zhao", 20.0),
    ("吴", "wu", 19.0),
    ("周", "zhou", 19.0),
    ("徐", "xu", 13.0),
    ("孙", "sun", 13.0),
    ("马", "ma", 12.0),
    ("朱", "zhu", 11.0),
    ("胡", "hu", 11.0),
    ("郭", "guo", 11.0),
    ("何", "he", 10.0),
    ("林", "lin", 10.0),
    ("高", "gao", 10.0),
    ("罗", "luo", 9.0),
    ("郑", "zheng", 8.0),
    ("梁", "liang", 8.0),
    ("谢", "xie", 7.0),
    ("宋", "song", 6.0),
    ("唐", "tang", 6.0),
    ("许", "xu", 6.0),
    ("韩", "han", 5.0),
    ("冯", "feng", 5.0),
    ("邓", "deng", 5.0),
    ("曹", "cao", 5.0),
    ("彭", "peng", 5.0),
    ("曾", "zeng", 5.0),
    ("肖", "xiao", 5.0),
    ("田", "tian", 4.0),
    ("董", "dong", 4.0),
    ("袁", "yuan", 4.0),
    ("潘", "pan", 4.0),
    ("于", "yu", 4.0),
    ("蒋", "jiang", 4.0),
    ("蔡", "cai", 4.0),
    ("余", "yu", 4.0),
    ("杜", "du", 4.0),
    ("叶", "ye", 4.0),
    ("程", "cheng", 4.0),
    ("苏", "su", 3.0),
    ("魏", "wei", 3.0),
    ("吕", "lv", 3.0),
    ("丁", "ding", 3.0),
    ("任", "ren", 3.0),
    ("沈", "shen", 3.0),
    ("姚", "yao", 3.0),
    ("卢", "lu", 3.0),
    ("姜", "jiang", 3.0),
    ("崔", "cui", 3.0),
    ("钟", "zhong", 3.0),
    ("谭", "tan", 3.0),
    ("陆", "lu", 3.0),
    ("汪", "wang", 3.0),
    ("范", "fan", 3.0),
    ("金", "jin", 3.0),
    ("石", "shi", 3.0),
    ("廖", "liao", 2.0),
    ("贾", "jia", 2.0),
    ("夏", "xia", 2.0),
    ("韦", "wei", 2.0),
    ("付", "fu", 2.0),
    ("方", "fang", 2.0),
    ("白", "bai", 2.0),
    ("邹", "zou", 2.0),
    ("孟", "meng", 2.0),
    ("熊", "xiong", 2.0),
    ("秦", "qin", 2.0),
    ("邱", "qiu", 2.0),
    ("江", "jiang", 2.0),
    ("尹", "yin", 2.0),
    ("薛", "xue", 2.0),
    ("闫", "yan", 2.0),
    ("段", "duan", 2.0),
    ("雷", "lei", 2.0),
    ("侯", "hou", 2.0),
    ("龙", "long", 2.0),
    ("史", "shi", 2.0),
    ("陶", "tao", 2.0),
    ("黎", "li", 2.0),
    ("贺", "he", 2.0),
    ("顾", "gu", 2.0),
    ("毛", "mao", 2.0),
    ("郝", "hao", 2.0),
    ("龚", "gong", 2.0),
    ("邵", "shao", 2.0),
    ("万", "wan", 2.0),
    ("钱", "qian", 2.0),
    ("严", "yan", 2.0),
    ("欧阳", "ouyang", 0.5),
    ("司马", "sima", 0.2),
    ("诸葛", "zhuge", 0.1),
];

/// Given-name characters, most common first.
const GIVEN: &[(&str, &str)] = &[
    ("伟", "wei"),
    ("芳", "fang"),
    ("娜", "na"),
    ("敏", "min"),
    ("静", "jing"),
    ("丽", "li"),
    ("强", "qiang"),
    ("磊", "lei"),
    ("军", "jun"),
    ("洋", "yang"),
    ("勇", "yong"),
    ("艳", "yan"),
    ("杰", "jie"),
    ("娟", "juan"),
    ("涛", "tao"),
    ("明", "ming"),
    ("超", "chao"),
    ("霞", "xia"),
    ("平", "ping"),
    ("刚", "gang"),
    ("华", "hua"),
    ("萍", "ping"),
    ("鹏", "peng"),
    ("辉", "hui"),
    ("玲", "ling"),
    ("丹", "dan"),
    ("波", "bo"),
    ("斌", "bin"),
    ("宇", "yu"),
    ("浩", "hao"),
    ("凯", "kai"),
    ("健", "jian"),
    ("俊", "jun"),
    ("帆", "fan"),
    ("帅", "shuai"),
    ("旭", "xu"),
    ("宁", "ning"),
    ("龙", "long"),
    ("林", "lin"),
    ("欢", "huan"),
    ("阳", "yang"),
    ("建", "jian"),
    ("亮", "liang"),
    ("成", "cheng"),
    ("佳", "jia"),
    ("琳", "lin"),
    ("雪", "xue"),
    ("晨", "chen"),
    ("婷", "ting"),
    ("颖", "ying"),
    ("倩", "qian"),
    ("慧", "hui"),
    ("莉", "li"),
    ("博", "bo"),
    ("文", "wen"),
    ("峰", "feng"),
    ("飞", "fei"),
    ("鑫", "xin"),
    ("毅", "yi"),
    ("昊", "hao"),
];

const TOP_DIVISIONS: &[&str] = &[
    "研发中心",
    "市场中心",
    "销售中心",
    "运营中心",
    "职能中心",
    "产品中心",
    "供应链中心",
    "海外事业部",
    "华东大区",
    "华南大区",
    "华北大区",
    "西南大区",
];

const DEPARTMENTS: &[&str] = &[
    "研发部",
    "测试部",
    "产品部",
    "设计部",
    "运营部",
    "市场部",
    "销售部",
    "客服部",
    "财务部",
    "人力资源部",
    "行政部",
    "法务部",
    "采购部",
    "质量部",
    "平台组",
    "前端组",
    "后端组",
    "数据组",
    "安全组",
    "运维组",
    "算法组",
    "移动端组",
    "商务组",
    "渠道组",
    "品牌组",
    "招聘组",
    "培训组",
    "薪酬组",
];

const POSITIONS: &[&str] =
    &["", "", "工程师", "高级工程师", "专员", "主管", "经理", "总监", "实习生", "销售代表", "设计师", "产品经理"];

const TAG_NAMES: &[&str] = &[
    "骨干",
    "新员工",
    "党员",
    "技术委员会",
    "内推官",
    "安全员",
    "讲师",
    "导师",
    "管培生",
    "外包",
    "核心人才",
    "项目经理",
    "质量专员",
    "值班",
];

/// Draws an index with probability proportional to its weight.
struct Weighted {
    cumulative: Vec<f64>,
}

impl Weighted {
    fn new(weights: impl Iterator<Item = f64>) -> Weighted {
        let mut total = 0.0;
        let cumulative = weights
            .map(|w| {
                total += w;
                total
            })
            .collect();
        Weighted { cumulative }
    }

    fn pick(&self, rng: &mut fastrand::Rng) -> usize {
        let total = self.cumulative.last().copied().unwrap_or(0.0);
        let x = rng.f64() * total;
        self.cumulative.partition_point(|&c| c <= x).min(self.cumulative.len().saturating_sub(1))
    }
}

/// Chinese names with their pinyin, drawn as described in the module docs.
struct Names {
    surnames: Weighted,
    single: Weighted,
    first_of_two: Weighted,
}

impl Names {
    fn new() -> Names {
        Names {
            surnames: Weighted::new(SURNAMES.iter().map(|s| s.2)),
            single: Weighted::new((0..GIVEN.len()).map(|r| 1.0 / (r as f64 + 8.0))),
            first_of_two: Weighted::new((0..GIVEN.len()).map(|r| 1.0 / (r as f64 + 10.0))),
        }
    }

    /// (name, pinyin).
    fn draw(&self, rng: &mut fastrand::Rng) -> (String, String) {
        let (s, s_py, _) = SURNAMES[self.surnames.pick(rng)];
        let mut name = String::from(s);
        let mut pinyin = String::from(s_py);
        if rng.f64() < 0.2 {
            let (g, g_py) = GIVEN[self.single.pick(rng)];
            name.push_str(g);
            pinyin.push_str(g_py);
        } else {
            for (g, g_py) in [GIVEN[self.first_of_two.pick(rng)], GIVEN[rng.usize(..GIVEN.len())]] {
                name.push_str(g);
                pinyin.push_str(g_py);
            }
        }
        (name, pinyin)
    }
}

/// Builds the organisation and the platform side for `spec`, with the app's homepage and trusted
/// domain set for `platform`.
pub fn generate(spec: Spec, platform: &PlatformUrls) -> Generated {
    let mut rng = fastrand::Rng::with_seed(spec.seed);
    let (departments, depth) = departments(spec.departments.max(1), &mut rng);
    let max_depth = depth.iter().copied().max().unwrap_or(1);
    let names = Names::new();
    let users = users(spec.users, departments.len(), &names, &mut rng);
    let tags = tags(spec.tags, &users, &depth, &mut rng);
    let org = Org {
        corp_id: CORP_ID.into(),
        corp_name: CORP_NAME.into(),
        apps: vec![App {
            agent_id: AGENT_ID,
            name: "万象智维".into(),
            secret: SECRET.into(),
            square_logo_url: "https://wework.qpic.cn/wwpic/bench_1000002/0".into(),
            home_url: platform.homepage.clone(),
            redirect_domain: platform.trusted_domain(),
            allow_departments: vec![1],
            ..App::default()
        }],
        departments,
        users,
        tags,
    };
    let (accounts, bindings, gone_bindings) = platform_side(&org, &names, &mut rng);
    Generated { org, accounts, bindings, gone_bindings, max_depth }
}

/// Departments 1..=n and the depth of each (index = id - 1; the root is depth 1).
fn departments(n: usize, rng: &mut fastrand::Rng) -> (Vec<Department>, Vec<u32>) {
    let mut out = Vec::with_capacity(n);
    let mut depth = Vec::with_capacity(n);
    out.push(Department { id: 1, name: CORP_NAME.into(), parent_id: 0, order: 100_000_000, name_en: None });
    depth.push(1u32);
    // Departments that may still get children (less than MAX_DEPTH deep).
    let mut open: Vec<u32> = vec![1];
    // Sibling names in use, to keep them unique under one parent as WeCom requires.
    let mut used: HashMap<(u32, &str), u32> = HashMap::new();
    for id in 2..=n as u32 {
        let parent = open[rng.usize(..open.len())];
        let level = depth[parent as usize - 1] + 1;
        let pool = if level == 2 { TOP_DIVISIONS } else { DEPARTMENTS };
        let base = pool[rng.usize(..pool.len())];
        let seen = used.entry((parent, base)).or_insert(0);
        *seen += 1;
        let name = if *seen == 1 { base.to_string() } else { format!("{base}{seen}") };
        out.push(Department { id, name, parent_id: parent, order: rng.u32(1..100_000_000), name_en: None });
        depth.push(level);
        if level < MAX_DEPTH {
            open.push(id);
        }
    }
    (out, depth)
}

fn users(n: usize, departments: usize, names: &Names, rng: &mut fastrand::Rng) -> Vec<User> {
    let mut taken: HashMap<String, u32> = HashMap::new();
    let mut out = Vec::with_capacity(n);
    let random_department = |rng: &mut fastrand::Rng| -> u32 {
        if departments == 1 || rng.f64() < 0.01 {
            1
        } else {
            rng.u32(2..=departments as u32)
        }
    };
    for _ in 0..n {
        let (name, pinyin) = names.draw(rng);
        let count = taken.entry(pinyin.clone()).or_insert(0);
        *count += 1;
        let mut userid = if *count == 1 { pinyin } else { format!("{pinyin}{count}") };
        if rng.f64() < 0.02 {
            // Capitalised: WeCom userids are case-insensitive, and some corps spell them so.
            if let Some(first) = userid.get(..1) {
                userid = format!("{}{}", first.to_ascii_uppercase(), &userid[1..]);
            }
        }
        let main = random_department(rng);
        let mut depts = vec![main];
        if departments > 3 && rng.f64() < 0.10 {
            let extra = if rng.bool() { 1 } else { 2 };
            while depts.len() < 1 + extra {
                let d = random_department(rng);
                if !depts.contains(&d) {
                    depts.push(d);
                }
            }
        }
        let r = rng.f64();
        let status = if r < 0.90 {
            1
        } else if r < 0.93 {
            2
        } else if r < 0.98 {
            4
        } else {
            5
        };
        out.push(User {
            userid,
            name,
            departments: depts,
            main_department: main,
            position: POSITIONS[rng.usize(..POSITIONS.len())].into(),
            status,
            alias: String::new(),
            ..User::default()
        });
    }
    out
}

fn tags(n: usize, users: &[User], depth: &[u32], rng: &mut fastrand::Rng) -> Vec<Tag> {
    let deep: Vec<u32> = depth.iter().enumerate().filter(|(_, d)| **d >= 3).map(|(i, _)| i as u32 + 1).collect();
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let base = TAG_NAMES[i % TAG_NAMES.len()];
        let name = if i < TAG_NAMES.len() { base.to_string() } else { format!("{base}{}", i / TAG_NAMES.len() + 1) };
        let want = rng.usize(20..=200).min(users.len());
        let mut picked: Vec<usize> = (0..want).map(|_| rng.usize(..users.len().max(1))).collect();
        picked.sort_unstable();
        picked.dedup();
        let tag_users = picked.into_iter().filter_map(|i| users.get(i)).map(|u| u.userid.clone()).collect();
        let mut departments = Vec::new();
        if !deep.is_empty() {
            for _ in 0..rng.usize(0..=2) {
                let d = deep[rng.usize(..deep.len())];
                if !departments.contains(&d) {
                    departments.push(d);
                }
            }
        }
        out.push(Tag { tag_id: i as u32 + 1, name, users: tag_users, departments });
    }
    out
}

/// Accounts, bindings, and how many bindings name a userid the org does not have.
fn platform_side(org: &Org, names: &Names, rng: &mut fastrand::Rng) -> (Vec<PlatformAccount>, Vec<Binding>, usize) {
    let n = org.users.len();
    let bound = n / 5;
    let gone = n / 200;
    let copied = n * 2 / 5;
    let dept_name = |id: u32| org.departments.get(id as usize - 1).map_or("", |d| d.name.as_str());
    let mut order: Vec<usize> = (0..n).collect();
    rng.shuffle(&mut order);

    let mut accounts = Vec::with_capacity(n);
    let mut bindings = Vec::with_capacity(bound + gone);
    let platform_department = |user: &User, rng: &mut fastrand::Rng| -> String {
        if rng.bool() {
            dept_name(user.main_department).to_string()
        } else {
            DEPARTMENTS[rng.usize(..DEPARTMENTS.len())].to_string()
        }
    };
    for &i in &order[..bound] {
        let user = &org.users[i];
        // 5 % were renamed on one side since they were bound.
        let name = if rng.f64() < 0.05 { names.draw(rng).0 } else { user.name.clone() };
        let department = platform_department(user, rng);
        let id = push_account(&mut accounts, name, &department, rng);
        bindings.push(Binding {
            userid: user.userid.as_str().into(),
            account_id: id.into(),
            evidence: Default::default(),
        });
    }
    for k in 0..gone {
        let department = DEPARTMENTS[rng.usize(..DEPARTMENTS.len())];
        let id = push_account(&mut accounts, names.draw(rng).0, department, rng);
        // Userids are letters and digits only, so this one cannot exist in the org.
        bindings.push(Binding {
            userid: format!("departed-{k:05}").into(),
            account_id: id.into(),
            evidence: Default::default(),
        });
    }
    for &i in order.iter().skip(bound).take(copied) {
        let user = &org.users[i];
        let department = platform_department(user, rng);
        push_account(&mut accounts, user.name.clone(), &department, rng);
    }
    while accounts.len() < n {
        let department = DEPARTMENTS[rng.usize(..DEPARTMENTS.len())];
        push_account(&mut accounts, names.draw(rng).0, department, rng);
    }
    (accounts, bindings, gone)
}

/// The organisation made "the way a real platform has them" for `bench --trust`, and what only the
/// generator knows: whose each account really is.
#[derive(Debug)]
pub struct TrustGenerated {
    /// The WeCom side (members carry the mobile and email consent would reveal; some have none).
    pub org: Org,
    /// The platform's accounts, typed by hand, with the namesakes who are not members.
    pub accounts: Vec<PlatformAccount>,
    /// Each member's own account (lower-cased userid → account id); a member without one has none.
    pub truth: HashMap<String, String>,
    /// Accounts that belong to people who are not in WeCom (contractors, former staff, test users).
    pub namesakes: usize,
    /// Accounts whose name was typed differently from WeCom's (spaces, full-width, U+3000).
    pub name_variants: usize,
    /// Accounts with a mobile or an email.
    pub with_contact: usize,
    /// Depth of the deepest department.
    pub max_depth: u32,
}

/// For `bench --trust`: the same departments, members and tags as [`generate`], then
///
/// - every member gets a WeCom mobile (85 %) and an email (50 %), what consent reveals; 1 % of
///   members have a Latin-letter name (`Zhangwei`);
/// - 92 % of active members and 50 % of the others already have an account typed by hand: the
///   WeCom name, 3 % with a pasted space (leading, trailing or inner), 1 % with an ideographic
///   space inside, Latin names half the time in full-width letters; departments: the member's
///   main one (55 %), none (30 %) or an old one (15 %);
/// - 4 % more accounts (of the member count) belong to people who are not in WeCom but share a
///   member's name (contractors, former staff, test users), with their own contact fields;
/// - 60 % of all accounts carry a contact field: the owner's mobile (and half the time email),
///   the member's WeCom ones when the member has them, else the owner's own;
/// - no bindings yet: the platform adopts WeCom login; the accounts are shuffled before ids are
///   given, so an id says nothing about its owner.
pub fn generate_trust(spec: Spec, platform: &PlatformUrls) -> TrustGenerated {
    let Generated { mut org, max_depth, .. } = generate(spec, platform);
    let mut rng = fastrand::Rng::with_seed(spec.seed ^ 0x7275_7374);
    let mut phone = 0u64;
    let mut next_mobile = |rng: &mut fastrand::Rng| {
        phone += 1;
        format!("1{}{:09}", [3, 5, 7, 8, 9][rng.usize(..5)], phone)
    };
    for u in org.users.iter_mut() {
        if rng.f64() < 0.01 {
            let letters: String = u.userid.chars().filter(|c| c.is_ascii_alphabetic()).collect();
            let mut chars = letters.chars();
            u.name = chars
                .next()
                .map(|c| c.to_ascii_uppercase().to_string() + &chars.as_str().to_lowercase())
                .unwrap_or_default();
        }
        if rng.f64() < 0.85 {
            u.mobile = next_mobile(&mut rng);
        }
        if rng.f64() < 0.50 {
            u.email = format!("{}@wanxiang.example", u.userid.to_lowercase());
        }
    }
    let dept_name = |id: u32| org.departments.get(id as usize - 1).map_or(String::new(), |d| d.name.clone());
    // (name, departments, mobile, email, owner's lower-cased userid or None).
    let mut drafts: Vec<Draft> = Vec::new();
    let mut name_variants = 0;
    for u in &org.users {
        let share = if u.status == 1 { 0.92 } else { 0.50 };
        if rng.f64() >= share {
            continue;
        }
        let typed = hand_typed(&u.name, &mut rng);
        if typed != u.name {
            name_variants += 1;
        }
        let r = rng.f64();
        let departments = if r < 0.55 {
            vec![dept_name(u.main_department)]
        } else if r < 0.85 {
            Vec::new()
        } else {
            vec![DEPARTMENTS[rng.usize(..DEPARTMENTS.len())].to_string()]
        };
        let (mut mobile, mut email) = (String::new(), String::new());
        if rng.f64() < 0.60 {
            mobile = if u.mobile.is_empty() { next_mobile(&mut rng) } else { u.mobile.clone() };
            if rng.bool() {
                email = if u.email.is_empty() {
                    format!("{}@home.example", u.userid.to_lowercase())
                } else {
                    u.email.clone()
                };
            }
        }
        drafts.push((typed, departments, mobile, email, Some(u.userid.to_lowercase())));
    }
    let namesakes = spec.users * 4 / 100;
    for k in 0..namesakes {
        let Some(like) = org.users.get(rng.usize(..org.users.len().max(1))) else { break };
        let departments =
            if rng.bool() { Vec::new() } else { vec![DEPARTMENTS[rng.usize(..DEPARTMENTS.len())].to_string()] };
        let (mut mobile, mut email) = (String::new(), String::new());
        if rng.f64() < 0.60 {
            mobile = next_mobile(&mut rng);
            if rng.bool() {
                email = format!("ext{k:06}@partner.example");
            }
        }
        drafts.push((like.name.clone(), departments, mobile, email, None));
    }
    rng.shuffle(&mut drafts);
    let mut accounts = Vec::with_capacity(drafts.len());
    let mut truth = HashMap::new();
    let mut with_contact = 0;
    for (i, (name, departments, mobile, email, owner)) in drafts.into_iter().enumerate() {
        let id = format!("u-{:07}", i + 1);
        if !mobile.is_empty() || !email.is_empty() {
            with_contact += 1;
        }
        if let Some(owner) = owner {
            truth.insert(owner, id.clone());
        }
        accounts.push(PlatformAccount {
            id: id.into(),
            name: name.into(),
            departments: departments.into_iter().map(Into::into).collect(),
            enabled: true,
            mobile: interface::PersonalData::new(mobile),
            email: interface::PersonalData::new(email),
            ext: Default::default(),
        });
    }
    TrustGenerated { org, accounts, truth, namesakes, name_variants, with_contact, max_depth }
}

/// An account before it has an id: (name, departments, mobile, email, owner's lower-cased userid).
type Draft = (String, Vec<String>, String, String, Option<String>);

/// A name as someone typed it into the platform: mostly as is; 3 % with a pasted space, 1 % with
/// an ideographic space inside; Latin letters half the time in full width.
fn hand_typed(name: &str, rng: &mut fastrand::Rng) -> String {
    let chars: Vec<char> = name.chars().collect();
    if name.is_ascii() && rng.bool() {
        return chars.iter().map(|&c| char::from_u32(c as u32 + 0xFEE0).unwrap_or(c)).collect();
    }
    let r = rng.f64();
    if r < 0.01 {
        format!(" {name}")
    } else if r < 0.02 {
        format!("{name} ")
    } else if r < 0.03 && chars.len() > 1 {
        format!("{} {}", chars[0], chars[1..].iter().collect::<String>())
    } else if r < 0.04 && chars.len() > 1 {
        format!("{}\u{3000}{}", chars[0], chars[1..].iter().collect::<String>())
    } else {
        name.to_string()
    }
}

/// Appends an account (`u-0000001`, …) and returns its id.
fn push_account(
    accounts: &mut Vec<PlatformAccount>,
    name: String,
    department: &str,
    rng: &mut fastrand::Rng,
) -> String {
    let id = format!("u-{:07}", accounts.len() + 1);
    let mut departments = vec![department.into()];
    if rng.f64() < 0.10 {
        departments.push(DEPARTMENTS[rng.usize(..DEPARTMENTS.len())].into());
    }
    accounts.push(PlatformAccount {
        id: id.as_str().into(),
        name: name.into(),
        departments: departments.into(),
        enabled: rng.f64() >= 0.02,
        mobile: Default::default(),
        email: Default::default(),
        ext: Default::default(),
    });
    id
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(users: usize, departments: usize, tags: usize) -> Spec {
        Spec { users, departments, tags, seed: 42 }
    }

    #[test]
    fn same_seed_same_org_and_a_valid_one() {
        let platform = PlatformUrls::at("http://127.0.0.1:18080");
        let a = generate(spec(2_000, 300, 10), &platform);
        let b = generate(spec(2_000, 300, 10), &platform);
        assert_eq!(a.org, b.org);
        assert_eq!(a.accounts, b.accounts);
        a.org.validate().expect("generated org is consistent");
        assert_eq!(a.org.users.len(), 2_000);
        assert_eq!(a.org.departments.len(), 300);
        assert_eq!(a.org.tags.len(), 10);
        assert_eq!(a.accounts.len(), 2_000);
        assert!(a.max_depth <= MAX_DEPTH && a.max_depth >= 5, "depth {}", a.max_depth);
    }

    #[test]
    fn has_duplicates_statuses_and_multi_department_members() {
        let g = generate(spec(5_000, 200, 5), &PlatformUrls::at("http://127.0.0.1:18080"));
        let mut by_name: HashMap<&str, usize> = HashMap::new();
        for u in &g.org.users {
            *by_name.entry(u.name.as_str()).or_default() += 1;
        }
        assert!(by_name.values().copied().max().unwrap_or(0) >= 5, "some name repeats");
        for status in [1, 2, 4, 5] {
            assert!(g.org.users.iter().any(|u| u.status == status), "status {status}");
        }
        assert!(g.org.users.iter().any(|u| u.departments.len() >= 2));
        assert!(g.org.users.iter().all(|u| u.departments.len() <= 3));
        assert!(g.bindings.iter().any(|b| b.userid.starts_with("departed-")));
    }

    #[test]
    fn the_trust_platform_has_namesakes_variants_and_contact_and_knows_every_owner() {
        let platform = PlatformUrls::at("http://127.0.0.1:18080");
        let g = generate_trust(spec(5_000, 200, 5), &platform);
        let again = generate_trust(spec(5_000, 200, 5), &platform);
        assert_eq!((&g.accounts, &g.truth), (&again.accounts, &again.truth), "seeded");
        let plain = generate(spec(5_000, 200, 5), &platform).org;
        let ids = |org: &Org| org.users.iter().map(|u| u.userid.clone()).collect::<Vec<_>>();
        assert_eq!(ids(&g.org), ids(&plain), "the same members as the plain bench");
        assert_eq!(g.namesakes, 200);
        assert_eq!(g.accounts.len(), g.truth.len() + g.namesakes, "every account but the namesakes has an owner");
        let owned: std::collections::HashSet<&String> = g.truth.values().collect();
        assert_eq!(owned.len(), g.truth.len(), "one account per owner");
        assert!(g.name_variants > 0 && g.accounts.iter().any(|a| a.name.contains('\u{3000}')));
        let share = g.with_contact as f64 / g.accounts.len() as f64;
        assert!((0.5..0.7).contains(&share), "{share}");
        assert!(g.org.users.iter().any(|u| u.mobile.is_empty() && u.email.is_empty()), "some members have no contact");
    }

    #[test]
    fn tiny_sizes_work() {
        let g = generate(spec(1, 1, 1), &PlatformUrls::at("http://127.0.0.1:18080"));
        g.org.validate().expect("valid");
        assert_eq!(g.accounts.len(), 1);
    }
}
