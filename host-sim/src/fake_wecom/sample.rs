//! The built-in sample organisation, shared by the demo, the CLI default and the tests.
//!
//! Its members are chosen to exercise binding: two apps with different visible ranges, a
//! disabled app, a member in two departments, a userid differing only in letter case from a
//! platform account name (`clear`), a disabled member and one who left the corp.

use super::org::{App, Department, Org, Tag, User};

fn app(agent_id: i64, name: &str, secret: &str, allow_departments: Vec<u32>, close: i32) -> App {
    App {
        agent_id,
        name: name.into(),
        secret: secret.into(),
        square_logo_url: format!("https://wework.qpic.cn/wwpic/sample_{agent_id}/0"),
        close,
        allow_departments,
        ..App::default()
    }
}

fn department(id: u32, name: &str, parent_id: u32, order: u32) -> Department {
    Department { id, name: name.into(), parent_id, order, name_en: None }
}

fn user(userid: &str, name: &str, departments: Vec<u32>, status: i32) -> User {
    let main_department = departments.first().copied().unwrap_or(0);
    User { userid: userid.into(), name: name.into(), departments, main_department, status, ..User::default() }
}

impl Org {
    /// The sample corp 万象科技 (see the module docs for its layout).
    pub fn sample() -> Org {
        Org {
            corp_id: "ww8f3a1c2d4e5b6a70".into(),
            corp_name: "万象科技".into(),
            apps: vec![
                app(1000002, "万象智维", "wanxiang-demo-secret-0000000000000000000001", vec![1], 0),
                app(1000003, "考勤打卡", "attendance-demo-secret-000000000000000000002", vec![3], 0),
                app(1000004, "旧版门户", "legacy-portal-secret-00000000000000000000003", vec![1], 1),
            ],
            departments: vec![
                department(1, "万象科技", 0, 100000000),
                department(2, "研发部", 1, 100000000),
                department(3, "市场部门", 1, 99999000),
                department(4, "测试部门", 2, 100000000),
                department(5, "平台组", 2, 99999000),
            ],
            users: vec![
                user("baikaishui", "白开水", vec![2], 1),
                user("renshengruxi", "人生如戏", vec![3], 1),
                user("cuncaoxin", "寸草心", vec![4], 1),
                // What 王晓楷 shares when consenting (snsapi_privateinfo → auth/getuserdetail).
                User {
                    mobile: "13800000000".into(),
                    email: "wangxiaokai@wanxiang.example".into(),
                    ..user("wangxiaokai", "王晓楷", vec![2, 5], 1)
                },
                user("clear", "Clear", vec![3], 1),
                user("zhangxu", "张旭", vec![4], 1),
                user("xiaoyueyue", "小岳岳", vec![5], 1),
                user("liqiang", "李强", vec![3], 2),
                user("zhoumin", "周敏", vec![4], 5),
            ],
            tags: vec![
                Tag {
                    tag_id: 1,
                    name: "骨干".into(),
                    users: vec!["wangxiaokai".into(), "clear".into()],
                    departments: vec![5],
                },
                Tag { tag_id: 2, name: "新员工".into(), users: vec!["xiaoyueyue".into()], departments: vec![] },
            ],
        }
    }
}
