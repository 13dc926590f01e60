//! A [`ParseHook`] runs in each new or changed file's parse task, sees the file's tree, and
//! what it returns comes back with the file in the project snapshot; a hook can also supply
//! a stored model instead of a parse.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use elixir_scope_ast::{
    AstConfig, AstLayer, FileAttachment, FileModel, ParseContext, ParseHook, ParsedFile,
    ReusedFile, SourceFile,
};

/// Attaches each file's root node kind and counts its calls; reuses `stored` for a file
/// whose hash matches.
#[derive(Default)]
struct Recorder {
    parsed: AtomicUsize,
    stored: Option<FileModel>,
}

impl ParseHook for Recorder {
    fn reuse(
        &self,
        _context: ParseContext<'_>,
        file: &SourceFile,
        hash: &str,
        _bytes: &[u8],
    ) -> Option<ReusedFile> {
        let stored = self.stored.as_ref()?;
        (stored.path == file.relative && stored.content_hash == hash).then(|| ReusedFile {
            model: stored.clone(),
            attachment: Some(Arc::new("reused".to_owned())),
        })
    }

    fn parsed(&self, context: ParseContext<'_>, parsed: &ParsedFile) -> Option<FileAttachment> {
        assert_eq!(context.project, "shop");
        self.parsed.fetch_add(1, Ordering::SeqCst);
        let kind = parsed.tree.as_ref()?.root_node().kind().to_owned();
        Some(Arc::new(kind))
    }
}

fn attachment(a: &Option<FileAttachment>) -> Option<String> {
    a.as_ref()?.downcast_ref::<String>().cloned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_hook_sees_each_parse_and_its_attachment_is_stored(
) -> Result<(), Box<dyn std::error::Error>> {
    let root = Path::new("tests/fixtures/elixir_project");
    let (sup, ast) = AstLayer::start(AstConfig::default()).await?;
    let hook = Arc::new(Recorder::default());
    let report = ast
        .parse_project_with("shop", root, Some(hook.clone()))
        .await?;
    assert_eq!(hook.parsed.load(Ordering::SeqCst), report.files);
    let snapshot = ast.snapshot("shop").await?;
    assert_eq!(snapshot.len(), report.files);
    assert!(
        snapshot.windows(2).all(|w| w[0].path < w[1].path),
        "sorted by path"
    );
    for f in &snapshot {
        assert_eq!(
            attachment(&f.attachment).as_deref(),
            Some("source"),
            "{}",
            f.path
        );
        assert_eq!(f.model.path, f.path);
    }
    // Unchanged files are not parsed again and keep their attachment.
    let again = ast
        .parse_project_with("shop", root, Some(hook.clone()))
        .await?;
    assert_eq!(again.unchanged, report.files);
    assert_eq!(hook.parsed.load(Ordering::SeqCst), report.files);
    assert!(ast
        .snapshot("shop")
        .await?
        .iter()
        .all(|f| f.attachment.is_some()));
    // Without a hook, no attachment.
    ast.parse_project("plain", root).await?;
    assert!(ast
        .snapshot("plain")
        .await?
        .iter()
        .all(|f| f.attachment.is_none()));
    assert!(ast.snapshot("nope").await.is_err());
    sup.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reused_model_replaces_the_parse() -> Result<(), Box<dyn std::error::Error>> {
    let root = Path::new("tests/fixtures/elixir_project");
    let (sup, ast) = AstLayer::start(AstConfig::default()).await?;
    ast.parse_project("first", root).await?;
    let first = ast.snapshot("first").await?;
    let mut stored = (*first[0].model).clone();
    stored.line_count += 1000; // marks the model as the stored one
    let hook = Arc::new(Recorder {
        parsed: AtomicUsize::new(0),
        stored: Some(stored.clone()),
    });
    ast.parse_project_with("shop", root, Some(hook.clone()))
        .await?;
    let snapshot = ast.snapshot("shop").await?;
    assert_eq!(*snapshot[0].model, stored);
    assert_eq!(
        attachment(&snapshot[0].attachment).as_deref(),
        Some("reused")
    );
    // The reused file's source is still kept.
    assert_eq!(snapshot[0].source, first[0].source);
    assert_eq!(hook.parsed.load(Ordering::SeqCst), first.len() - 1);
    sup.shutdown().await;
    Ok(())
}
