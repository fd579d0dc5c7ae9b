//! What the command line shows a person: the binding table, the checklist and setup sheet, the commit summary line, in
//! zh-CN or en ([`table::Lang`]). Pure functions from the plugin's values to text.

pub mod edits;
pub mod summary;
pub mod table;
