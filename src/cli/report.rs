//! `convlake report conversations|bot|chats`: the page, to stdout or to a
//! file that appears only once written whole.

use datafusion::prelude::SessionContext;

use crate::cli::args::ReportArgs;
use crate::error::{Error, Result};
use crate::report::{ReportParams, document};

pub async fn page(ctx: &SessionContext, args: &ReportArgs, report: &str) -> Result<()> {
    let params = ReportParams {
        period: args.period.clone(),
        tz: args.tz.clone(),
        as_of: args.as_of.clone(),
        workspace: args.workspace.clone(),
        filter: args.filter.clone(),
        locale: args.locale.clone(),
        rows: args.rows,
    };
    let text = document(ctx, &params, report, args.format).await?;
    match &args.output {
        Some(path) => write_whole(path, text.as_bytes()),
        None => {
            use std::io::Write as _;
            std::io::stdout()
                .write_all(text.as_bytes())
                .map_err(Error::io("writing", "<stdout>"))
        }
    }
}

/// Writes `bytes` to `path` through a temporary file beside it, renamed
/// into place once whole: a reader sees the old file or the new one.
fn write_whole(path: &std::path::Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write as _;
    let folder = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => std::path::Path::new("."),
    };
    let mut file = tempfile::NamedTempFile::new_in(folder)
        .map_err(Error::io("cannot create a file in", folder))?;
    file.write_all(bytes).map_err(Error::io("writing", path))?;
    // A page to share: readable by others, as a file the shell creates.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644))
            .map_err(Error::io("writing", path))?;
    }
    file.persist(path)
        .map_err(|e| Error::io("cannot write", path)(e.error))?;
    Ok(())
}
