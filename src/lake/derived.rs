//! What a file that `convlake materialize` keeps under `<lake>/_convlake/`
//! is, next to the lake's files: the status `convlake tables` shows and
//! [`crate::register`] goes by (`src/materialize/` writes and compares).

use crate::lake::files::LakeFile;

/// What a materialisation is, next to the lake's files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Materialised {
    /// No file: the view over the raw events is used.
    Absent,
    /// It covers exactly the lake's files: registered and used.
    Current { rows: u64, bytes: u64 },
    /// Files were added since: the view is used until `convlake materialize`
    /// adds them.
    Behind { new_files: Vec<LakeFile> },
    /// A file it covers changed or went away, or another version of
    /// convlake wrote it: the view is used, and `convlake materialize`
    /// starts over.
    Stale { reason: String },
}

impl Materialised {
    /// One line for `convlake tables` and for `convlake materialize`:
    /// `table` is the name it is read under, `rows` what a row is.
    pub fn describe(&self, table: &str, rows_are: &str) -> String {
        match self {
            Materialised::Absent => format!("{table}: not materialised (`convlake materialize`)"),
            Materialised::Current { rows, bytes } => {
                format!("{table}: materialised, {rows} {rows_are}, {bytes} bytes, up to date")
            }
            Materialised::Behind { new_files } => format!(
                "{table}: materialised but {} lake file(s) are newer; read from the events \
                 until `convlake materialize`",
                new_files.len()
            ),
            Materialised::Stale { reason } => format!(
                "{table}: materialisation ignored ({reason}); read from the events until \
                 `convlake materialize`"
            ),
        }
    }
}
