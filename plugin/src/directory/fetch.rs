//! The directory read. A self-built app reads inside its visible range: one `department/list` for
//! the visible tree, `user/list` per department (it does not recurse, so the tree is walked here),
//! `tag/get` per chosen tag (its departments expanded here), `user/get` for members chosen one by
//! one or known only through a tag. Calls run concurrently; the client bounds how many are in
//! flight and paces them below WeCom's limits. A part that fails is recorded and the snapshot is
//! marked incomplete: it is never reported as a success.
//!
//! Fallbacks, so that one refused or oversized list does not make every read incomplete (an
//! incomplete snapshot never removes a leaver): no department list for a range without
//! departments; `department/simplelist` + `department/get` when `department/list` fails;
//! `user/simplelist` + `user/get` when a department's `user/list` is refused or over the size cap
//! (see `read_tree` and `needs_member_fallback` for what is unconfirmed).

use super::{
    fingerprint::snapshot_id_of_hashes,
    members::{Hashed, MemberSet, Sorted},
    tree::DeptNode,
    DeptTree,
};
use crate::host_log::Host;
use crate::settings::Accepted;
use crate::wecom::{self, WecomError};
use crate::wecom_text;
use interface::{
    Department, DirectorySnapshot, Member, MemberStatus, PluginError, ProblemKind, ScopeProblem, ScopeSelection, Tag,
    Text,
};
use std::collections::{BTreeSet, HashSet};
use std::sync::Arc;
use std::time::Duration;
use tokio::task::{JoinError, JoinSet};
use tokio::time::MissedTickBehavior;

/// Reads the directory inside `scope`.
pub async fn fetch(accepted: &Accepted, scope: &ScopeSelection, host: &Host) -> Result<DirectorySnapshot, PluginError> {
    let client = &accepted.client;
    let calls_before = client.stats().total_calls();
    let mut problems = Vec::new();
    let mut read_failed = false;

    let tree = Arc::new(match read_tree(accepted, host).await? {
        Ok(tree) => tree,
        Err(problem) => {
            read_failed = true;
            problems.push(problem);
            DeptTree::default()
        }
    });
    if !host.progress("departments", 1, 1) {
        return Err(cancelled());
    }

    let mut chosen_roots = Vec::new();
    for &id in scope.department_ids.iter() {
        if tree.contains(id) {
            chosen_roots.push(id);
        } else if !read_failed {
            problems.push(out_of_range(&format!("department:{id}"), "", "部门", "department"));
        }
    }
    let synced_departments = tree.union_of_subtrees(&chosen_roots);

    // Tags: their members (names only) and their departments, read concurrently.
    let mut tags = Vec::new();
    let mut tag_departments = Vec::new();
    let mut tag_userids = Vec::new();
    let mut jobs = JoinSet::new();
    for &tag_id in scope.tag_ids.iter() {
        let client = client.clone();
        jobs.spawn(async move { (tag_id, client.get_tag(tag_id).await) });
    }
    let mut tag_results = Vec::new();
    run_all(&mut jobs, host, "tags", scope.tag_ids.len() as u64, |joined| tag_results.push(joined)).await?;
    for joined in tag_results {
        match joined {
            Ok((tag_id, Ok(t))) => {
                tags.push(Tag { id: tag_id, name: t.tagname.clone().into() });
                tag_userids.extend(t.userlist.iter().map(|u| u.userid.clone()));
                for party in &t.partylist {
                    if tree.contains(*party) {
                        tag_departments.push(*party);
                    } else if !read_failed {
                        problems.push(out_of_range(
                            &format!("department:{party}"),
                            &t.tagname,
                            "标签中的部门",
                            "department of a tag",
                        ));
                    }
                }
            }
            Ok((tag_id, Err(error))) => {
                let kind = classify(&error);
                read_failed |= kind == ProblemKind::ReadFailed;
                problems.push(problem_from_error(&error, &format!("tag:{tag_id}"), "", kind));
            }
            Err(join_error) => {
                read_failed = true;
                problems.push(internal_problem(&join_error.to_string()));
            }
        }
    }
    tags.sort_by_key(|t| t.id);

    // Members of every department to list (chosen subtrees + tag departments' subtrees).
    let mut to_list: Vec<u32> = synced_departments.clone();
    let listed: HashSet<u32> = to_list.iter().copied().collect();
    to_list.extend(tree.union_of_subtrees(&tag_departments).into_iter().filter(|id| !listed.contains(id)));

    let mut members = MemberSet::new(tree.clone());
    let total = to_list.len() as u64;
    let mut jobs = JoinSet::new();
    for dept in to_list {
        let (client, host, tree) = (client.clone(), host.clone(), tree.clone());
        jobs.spawn(async move {
            host.failpoints().hit_at("fetch_scope", "task"); // test builds only
            (dept, client.list_users_brief(dept).await.map(|page| members_of_page(page, &tree)))
        });
    }
    // The departments in scope, built while the first requests are out.
    let departments: Vec<Department> = synced_departments
        .iter()
        .filter_map(|id| {
            tree.get(*id).map(|n| Department {
                id: *id,
                name: n.name.as_str().into(),
                parent_id: n.parent_id,
                order: n.order,
            })
        })
        .collect();
    // Pages are merged as they arrive, so at most the in-flight answers exist twice in memory.
    let mut failed = Vec::new();
    run_all(&mut jobs, host, "members", total, |joined| match joined {
        Ok((_, Ok(list))) => list.into_iter().for_each(|m| members.add(m)),
        other => failed.push(other),
    })
    .await?;
    let mut fallback = Vec::new();
    for joined in failed {
        match joined {
            Ok((_, Ok(list))) => list.into_iter().for_each(|m| members.add(m)),
            Ok((dept, Err(error))) if needs_member_fallback(&error) => {
                host.info(&format!(
                    "user/list of department {dept} failed ({error}); reading it with user/simplelist and user/get"
                ));
                fallback.push((dept, tree.name(dept).unwrap_or("").to_string()));
            }
            Ok((dept, Err(error))) => {
                read_failed = true;
                problems.push(problem_from_error(
                    &error,
                    &format!("department:{dept}"),
                    tree.name(dept).unwrap_or(""),
                    ProblemKind::ReadFailed,
                ));
            }
            Err(join_error) => {
                read_failed = true;
                problems.push(internal_problem(&join_error.to_string()));
            }
        }
    }
    let mut fields_note = false;
    if !fallback.is_empty() {
        let outcome = read_members_one_by_one(client, fallback, &members, host).await?;
        fields_note = outcome.names_only > 0;
        outcome.members.into_iter().for_each(|m| members.add(m));
        read_failed |= !outcome.failures.is_empty();
        problems.extend(outcome.failures);
    }
    if fields_note {
        problems.push(ScopeProblem {
            kind: ProblemKind::FieldsUnavailable,
            subject: "user/list".into(),
            subject_name: "".into(),
            wecom_errcode: None.into(),
            message: Text::new(
                "部分成员只能通过 user/simplelist 读取：其状态和职务不可用。",
                "Some members could be read only through user/simplelist: their status and position are not available.",
            ),
        });
    }

    // Members chosen one by one, and tag members not already read through a department.
    let mut singles: Vec<(String, bool)> = Vec::new();
    let mut queued = HashSet::new();
    for userid in scope.user_ids.iter().map(|u| u.to_string()) {
        if queued.insert(userid.to_lowercase()) {
            singles.push((userid, true));
        }
    }
    for userid in tag_userids {
        if !members.contains(&userid) && queued.insert(userid.to_lowercase()) {
            singles.push((userid, false));
        }
    }
    let total = singles.len() as u64;
    let mut jobs = JoinSet::new();
    for (userid, chosen) in singles {
        if members.contains(&userid) {
            continue;
        }
        let client = client.clone();
        jobs.spawn(async move {
            let result = client.get_user(&userid).await;
            (userid, chosen, result)
        });
    }
    let mut results = Vec::new();
    run_all(&mut jobs, host, "members", total, |joined| results.push(joined)).await?;
    for joined in results {
        match joined {
            Ok((_, _, Ok(m))) => members.add(member_from(m)),
            Ok((userid, _, Err(error))) => {
                let kind = classify(&error);
                read_failed |= kind == ProblemKind::ReadFailed;
                problems.push(problem_from_error(&error, &format!("user:{userid}"), "", kind));
            }
            Err(join_error) => {
                read_failed = true;
                problems.push(internal_problem(&join_error.to_string()));
            }
        }
    }

    // Every member is named and fingerprinted already (the tree was complete before the first
    // member was read): what is left after the last answer is putting them in order and folding
    // their fingerprints.
    let Sorted { members, hashes, spent_keys } = members.into_sorted();
    let corp_id = accepted.settings.corp_id.clone();
    let id = snapshot_id_of_hashes(&corp_id, &departments, hashes);
    // The index's keys are freed off the path the caller waits on (and after the allocations
    // above, which would wait for the same allocator arena). A host at its thread limit cannot
    // start the thread: the closure, and the keys with it, are then dropped here (tokio's
    // `spawn_blocking` would panic instead, losing the finished read).
    let _ = std::thread::Builder::new().name("wecom-free".into()).spawn(move || drop(spent_keys));
    let api_calls = client.stats().total_calls().saturating_sub(calls_before);
    host.info(&format!(
        "fetch_scope: {} members, {} departments, {} problems, {} API calls, complete={}",
        members.len(),
        departments.len(),
        problems.len(),
        api_calls,
        !read_failed
    ));
    Ok(DirectorySnapshot {
        snapshot_id: id.into(),
        corp_id: corp_id.into(),
        taken_at_unix: unix_now(),
        scope: scope.clone(),
        syncs_departments: !scope.department_ids.is_empty(),
        departments: departments.into(),
        members: members.into(),
        tags: tags.into(),
        complete: !read_failed,
        problems: problems.into(),
        api_calls,
        ext: Default::default(),
    })
}

/// The visible department tree: names for display and subtrees for the scope.
///
/// - An app whose visible range holds no departments (only members or tags) has no tree to read:
///   `department/list` is not called. What WeCom answers it there is unconfirmed (wecom-api.md
///   §14, "department/list for self-built apps": an empty list or a refusal); either way there is
///   nothing to learn, and a refusal must not make every read incomplete. The range is the one
///   `configure` read with `agent/get`.
/// - Otherwise the whole tree in one `department/list`. Should it fail for any WeCom reason but
///   60020 (a restricted endpoint, a refusal whose errcode is unconfirmed, an answer over the size
///   cap), the same tree is read as `department/simplelist` (ids, parents, order) plus one
///   `department/get` per department for its name (docs 95350, 95351: WeCom itself recommends
///   that pair over the "low performance" list). A 60020 or a network failure would fail the
///   fallback the same way, so it is not tried.
///
/// `Ok(Err(problem))`: the tree could not be read (the snapshot is then incomplete).
async fn read_tree(accepted: &Accepted, host: &Host) -> Result<Result<DeptTree, ScopeProblem>, PluginError> {
    let client = &accepted.client;
    if accepted.app.visible.department_ids.is_empty() {
        host.info("fetch_scope: the app's visible range holds no departments; no department list is read");
        return Ok(Ok(DeptTree::default()));
    }
    let error = match client.list_departments(None).await {
        Ok(list) => {
            return Ok(Ok(DeptTree::new(
                list.into_iter().map(|d| (d.id, DeptNode { name: d.name, parent_id: d.parentid, order: d.order })),
            )))
        }
        Err(error) => error,
    };
    let fallback =
        matches!(error, WecomError::BodyTooLarge { .. }) || error.errcode().is_some_and(|code| code != 60020);
    if !fallback {
        return Ok(Err(problem_from_error(&error, "department:*", "", ProblemKind::ReadFailed)));
    }
    host.info(&format!(
        "department/list failed ({error}); reading the tree with department/simplelist and department/get"
    ));
    let ids = match client.simple_list_departments(None).await {
        Ok(ids) => ids,
        Err(fallback_error) => {
            host.warn(&format!("department/simplelist failed too: {fallback_error}"));
            return Ok(Err(problem_from_error(&error, "department:*", "", ProblemKind::ReadFailed)));
        }
    };
    let total = ids.len() as u64;
    let mut jobs = JoinSet::new();
    for d in ids {
        let client = client.clone();
        jobs.spawn(async move { (d.id, d.parentid, d.order, client.get_department(d.id).await) });
    }
    let mut nodes = Vec::new();
    let mut failure = None;
    run_all(&mut jobs, host, "departments", total, |joined| match joined {
        Ok((id, parent_id, order, Ok(d))) => nodes.push((id, DeptNode { name: d.name, parent_id, order })),
        Ok((id, _, _, Err(error))) => {
            failure.get_or_insert_with(|| {
                problem_from_error(&error, &format!("department:{id}"), "", ProblemKind::ReadFailed)
            });
        }
        Err(join_error) => {
            failure.get_or_insert_with(|| internal_problem(&join_error.to_string()));
        }
    })
    .await?;
    // A department without its name would reach the platform unnamed: the tree is not trusted.
    Ok(match failure {
        Some(problem) => Err(problem),
        None => Ok(DeptTree::new(nodes)),
    })
}

/// `user/list` failures that `user/simplelist` + `user/get` can get around: an answer over the size
/// cap (a department with very many direct members, or large custom attributes), and refusals of
/// `user/list` itself. Which errcode a self-built app gets when `user/list` is refused is
/// unconfirmed: 48002 ("api forbidden", documented for a secret type that may not call an API),
/// 48009 (the 2022-08-15 detail-read restriction, documented for the contact-sync secret) and
/// 60011 (no privilege) are the candidates (wecom-api.md §4.4, §6, §14). Anything else (60020,
/// rate limits, the network) would fail the fallback too.
fn needs_member_fallback(error: &WecomError) -> bool {
    matches!(error, WecomError::BodyTooLarge { .. }) || matches!(error.errcode(), Some(48002 | 48009 | 60011))
}

/// What reading departments member by member gave.
struct OneByOne {
    members: Vec<Member>,
    /// Members kept with names only (user/get refused for its own reason, simplelist answered).
    names_only: usize,
    /// Parts that could not be read (each makes the snapshot incomplete).
    failures: Vec<ScopeProblem>,
}

/// `user/simplelist` of each department `(id, name)`, then one `user/get` per member not already
/// read (through a department whose `user/list` answered, or listed twice here); each step's
/// calls run concurrently. A member whose `user/get` is refused with the same kind of refusal
/// keeps what `user/simplelist` said (names only); any other failure is a read failure.
async fn read_members_one_by_one(
    client: &wecom::Client,
    departments: Vec<(u32, String)>,
    known: &MemberSet,
    host: &Host,
) -> Result<OneByOne, PluginError> {
    let mut out = OneByOne { members: Vec::new(), names_only: 0, failures: Vec::new() };
    let total = departments.len() as u64;
    let mut jobs = JoinSet::new();
    for (dept, name) in departments {
        let client = client.clone();
        jobs.spawn(async move { (dept, name, client.simple_list_users(dept).await) });
    }
    let mut listed = Vec::new();
    run_all(&mut jobs, host, "members", total, |joined| match joined {
        Ok((_, _, Ok(list))) => listed.extend(list),
        Ok((dept, name, Err(error))) => {
            let subject = format!("department:{dept}");
            out.failures.push(problem_from_error(&error, &subject, &name, ProblemKind::ReadFailed));
        }
        Err(join_error) => out.failures.push(internal_problem(&join_error.to_string())),
    })
    .await?;

    let mut queued = HashSet::new();
    let mut jobs = JoinSet::new();
    for simple in listed {
        if known.contains(&simple.userid) || !queued.insert(simple.userid.to_lowercase()) {
            continue;
        }
        let client = client.clone();
        jobs.spawn(async move {
            let result = client.get_user(&simple.userid).await;
            (simple, result)
        });
    }
    let mut results = Vec::new();
    run_all(&mut jobs, host, "members", queued.len() as u64, |joined| results.push(joined)).await?;
    for joined in results {
        match joined {
            Ok((_, Ok(member))) => out.members.push(member_from(member)),
            Ok((simple, Err(error))) if needs_member_fallback(&error) => {
                out.names_only += 1;
                out.members.push(simple_member_from(simple));
            }
            Ok((simple, Err(error))) => {
                let subject = format!("user:{}", simple.userid);
                out.failures.push(problem_from_error(&error, &subject, &simple.name, ProblemKind::ReadFailed));
            }
            Err(join_error) => out.failures.push(internal_problem(&join_error.to_string())),
        }
    }
    Ok(out)
}

fn member_from(m: wecom::Member) -> Member {
    listed_member_from(m.into())
}

/// A `user/list` page as snapshot members, named and fingerprinted. Called in the page's own
/// task, on the runtime's workers, where the page was decoded and while other requests are out:
/// the task that merges the pages then only merges (and frees nothing allocated on another
/// thread), and no pass over every member's fields is left for after the last answer.
fn members_of_page(page: Vec<wecom::ListedMember>, tree: &DeptTree) -> Vec<Hashed> {
    page.into_iter()
        .map(|m| {
            let mut member = listed_member_from(m);
            member.department_names = tree.names(&member.department_ids);
            Hashed::new(member)
        })
        .collect()
}

fn listed_member_from(m: wecom::ListedMember) -> Member {
    let departments: BTreeSet<u32> = m.department.iter().copied().collect();
    Member {
        userid: m.userid.into(),
        name: m.name.into(),
        department_ids: departments.into_iter().collect(),
        department_names: Default::default(),
        position: m.position.into(),
        status: status_from(m.status),
    }
}

fn simple_member_from(m: wecom::SimpleMember) -> Member {
    Member {
        userid: m.userid.into(),
        name: m.name.into(),
        // Sorted, as for `user/list` rows: the snapshot does not depend on WeCom's order.
        department_ids: m.department.iter().copied().collect::<BTreeSet<u32>>().into_iter().collect(),
        department_names: Default::default(),
        position: "".into(),
        status: MemberStatus::Unknown,
    }
}

/// WeCom's numeric status (1, 2, 4, 5).
pub fn status_from(code: i64) -> MemberStatus {
    match code {
        1 => MemberStatus::Active,
        2 => MemberStatus::Disabled,
        4 => MemberStatus::Inactive,
        5 => MemberStatus::Left,
        _ => MemberStatus::Unknown,
    }
}

fn classify(error: &WecomError) -> ProblemKind {
    match error.errcode() {
        Some(60011) | Some(60021) | Some(81011) | Some(50002) => ProblemKind::OutOfRange,
        Some(60111) | Some(40068) | Some(60003) | Some(60123) | Some(46004) => ProblemKind::NotFound,
        _ => ProblemKind::ReadFailed,
    }
}

fn problem_from_error(error: &WecomError, subject: &str, name: &str, kind: ProblemKind) -> ScopeProblem {
    let message = match kind {
        ProblemKind::OutOfRange => Text::new(
            format!("{subject} 不在应用的可见范围内，未同步。请在应用的可见范围中添加，或从同步范围中去掉。"),
            format!("{subject} is outside the app's visible range and was not synced. Add it to the app's visible range, or remove it from the sync scope."),
        ),
        // 60111 also covers a member outside the visible range (doc 90313 via go-workwx), so the
        // message names the range fix rather than "deleted".
        ProblemKind::NotFound if error.errcode() == Some(60111) => Text::new(
            format!("企业微信找不到 {subject}，或该成员不在应用的可见范围内，未同步。请在应用的可见范围中添加该成员或其部门，或从同步范围中去掉。"),
            format!("{subject} was not found in WeCom, or is outside the app's visible range, and was not synced. Add the member or their department to the app's visible range, or remove it from the sync scope."),
        ),
        ProblemKind::NotFound => Text::new(
            format!("企业微信中不存在 {subject}（可能已删除），未同步。"),
            format!("{subject} does not exist in WeCom (deleted?) and was not synced."),
        ),
        _ => wecom_text::describe(error).message,
    };
    ScopeProblem {
        kind,
        subject: subject.into(),
        subject_name: name.into(),
        wecom_errcode: error.errcode().into(),
        message,
    }
}

fn out_of_range(subject: &str, name: &str, what_zh: &str, what_en: &str) -> ScopeProblem {
    ScopeProblem {
        kind: ProblemKind::OutOfRange,
        subject: subject.into(),
        subject_name: name.into(),
        wecom_errcode: None.into(),
        message: Text::new(
            format!("{what_zh} {subject} 不在应用的可见范围内，未同步。请在应用的可见范围中添加，或从同步范围中去掉。"),
            format!("The {what_en} {subject} is outside the app's visible range and was not synced. Add it to the app's visible range, or remove it from the sync scope."),
        ),
    }
}

fn internal_problem(detail: &str) -> ScopeProblem {
    ScopeProblem {
        kind: ProblemKind::ReadFailed,
        subject: "internal".into(),
        subject_name: "".into(),
        wecom_errcode: None.into(),
        message: Text::new(format!("读取任务异常终止：{detail}"), format!("a read task ended abnormally: {detail}")),
    }
}

/// How often the host hears about a long read (and may cancel it), also while calls wait out a
/// rate-limit backoff.
const PROGRESS_EVERY: Duration = Duration::from_millis(500);

/// Waits for every job, reporting progress to the host at least every `PROGRESS_EVERY` and when
/// done. A host that answers "cancel" stops the read at once: the jobs still running are aborted.
async fn run_all<T: Send + 'static>(
    jobs: &mut JoinSet<T>,
    host: &Host,
    stage: &str,
    total: u64,
    mut each: impl FnMut(Result<T, JoinError>),
) -> Result<(), PluginError> {
    let mut done = 0u64;
    let mut ticker = tokio::time::interval(PROGRESS_EVERY);
    ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            joined = jobs.join_next() => match joined {
                Some(result) => {
                    done += 1;
                    each(result);
                }
                None => break,
            },
            _ = ticker.tick() => {
                if !host.progress(stage, done, total) {
                    jobs.abort_all();
                    return Err(cancelled());
                }
            }
        }
    }
    if host.progress(stage, done, total) {
        Ok(())
    } else {
        Err(cancelled())
    }
}

fn cancelled() -> PluginError {
    PluginError::new(
        "plugin.cancelled",
        Text::new("读取已被取消，未产生任何变更。", "The read was cancelled; nothing was changed."),
        Text::new("需要时重新开始同步。", "Start the sync again when needed."),
    )
}

fn unix_now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}
