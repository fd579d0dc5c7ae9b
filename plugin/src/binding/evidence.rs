//! What a binding's evidence is worth: the one rule both the login decision and the binding table
//! follow.

use interface::Evidence;

/// Evidence a person or a proof gave: a login on it signs in. Name evidence, and values this
/// version does not know, do not (they are confirmed at the member's first login).
pub fn is_confirmed(evidence: Evidence) -> bool {
    matches!(
        evidence,
        Evidence::Operator
            | Evidence::Contact
            | Evidence::Password
            | Evidence::Imported
            | Evidence::Rename
            | Evidence::Created
    )
}

/// The evidence a binding carries after following a userid change: `rename` when it was
/// confirmed before, else what it was (a rename moves a name-only binding, it does not prove it).
pub fn after_rename(previous: Evidence) -> Evidence {
    if is_confirmed(previous) {
        Evidence::Rename
    } else {
        previous
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rename_keeps_a_provisional_binding_provisional() {
        assert_eq!(after_rename(Evidence::Name), Evidence::Name);
        assert_eq!(after_rename(Evidence::NameDepartment), Evidence::NameDepartment);
        assert_eq!(after_rename(Evidence::from_raw(200)), Evidence::from_raw(200));
        assert_eq!(after_rename(Evidence::Operator), Evidence::Rename);
        assert!(!is_confirmed(Evidence::Name) && is_confirmed(Evidence::Rename));
    }
}
