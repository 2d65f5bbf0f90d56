//! What `convlake materialize` keeps under `<lake>/_convlake/`, and when it
//! may be read: each contact's first opening, every conversation's
//! metrics, and what the two share (the lake files a file covers, its
//! comparison with them, the write in one upload).

pub mod conversations;
pub mod coverage;
pub mod first_openings;
pub mod through;
