//! The names of the optional fields carried in an `ext` [`Extensions`](crate::Extensions) object,
//! one constant per key, so a host and a plugin never spell a key twice. Each names the type whose
//! `ext` carries it, the value's JSON shape and the release that added it; the typed accessors
//! beside each type (e.g. [`LoginFacts::declines_candidates`](crate::LoginFacts::declines_candidates))
//! are the usual way to read and write them. A key is never renamed or given another meaning.

/// `LoginFacts.ext`, `bool` (0.2.x): the member answered "none of these is mine" (这些都不是我的账号)
/// to every candidate they were offered. `decide_login` then acts by `policy.new_members`: a new
/// account for the member (`create`), or the operator decides (`ignore`). Ignored for a member
/// with a binding (that is `LoginProof::not_mine_account_id`).
pub const DECLINE_CANDIDATES: &str = "decline_candidates";

/// `LoginFacts.ext` and `LoginDecision.ext`, array of account id strings (0.2.x). In a decision:
/// the accounts the member has just declined, which the host records for that member (store and
/// an audit entry, actor `member`, in the transaction of the decision's changes). In the facts:
/// every account the host has recorded as declined by this member; `decide_login` never offers
/// them to that member again.
pub const DECLINED_ACCOUNT_IDS: &str = "declined_account_ids";

/// `LoginFacts.ext`, unsigned integer (0.2.x): how many of the accounts the last binding table
/// offered this member (their row's proposed account and candidates) are now held by another
/// member's binding, and so are not in `candidates`. A member without a binding whose offered
/// accounts are all held (no candidate left, none declined) gets by `policy.new_members` a new
/// account of their own (`create`: a fresh account the host creates, never an existing one) or the operator (`ignore`), instead
/// of waiting with nothing to answer. Absent (a host that predates it): 0, the operator decides.
pub const OFFERED_ACCOUNTS_HELD: &str = "offered_accounts_held";

/// `Proposal.ext`, unsigned integer (0.2.x): how many rows are
/// [`RowKind::NameSpacingDiffers`](crate::RowKind::NameSpacingDiffers) (counted apart, like
/// `ProposalCounts::name_departments_differ`; `ProposalCounts` itself cannot grow within 0.2).
pub const NAME_SPACING_DIFFERS: &str = "name_spacing_differs";

/// `ProposalInput.ext` and `PlanInput.ext`, array of `[userid, account_id]` string pairs (0.2.x):
/// every account a member has declined at login ("not mine", "none of these is mine"), as the host
/// recorded them. `propose_bindings` never proposes such a pair (the row waits for the operator,
/// the account is not listed to that member), so neither `commit` nor `plan_change` binds it
/// automatically; the operator may still bind it explicitly. Userids compare case-insensitively.
/// In the order the host recorded them: `commit` then also recognises a table made between two
/// of a member's declines (otherwise it is refused as stale and the operator syncs again).
/// Absent (a host that predates it): none.
pub const DECLINED_PAIRS: &str = "declined_pairs";

/// `ProposalRow.ext`, unsigned integer (0.2.x): how many accounts the row could offer its member
/// when that is more than `candidates` lists. A name shared by many people would otherwise list
/// every one of its accounts on every row of the name, which grows with the square of the name's
/// size; the plugin lists the likeliest (agreeing departments first, then accounts naming no
/// department, then the rest) and says how many there were. Only listed accounts are offered at login; the operator may bind
/// any account by its id. Absent: `candidates` lists them all.
pub const CANDIDATES_TOTAL: &str = "candidates_total";
