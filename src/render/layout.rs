//! The printed layout of the tables, worked out from the template declaration and the rows a
//! report prints: header rows, row-label columns and merged cells. The three formats are
//! written from this one layout, so they cannot disagree about it.
//!
//! Header cells come from label paths. A column's path is `[group, label]` (e.g.
//! `法人或其他组织`, `商业企业`); in table 4, printed across, it is `[row group, row label,
//! column label]` (`行政诉讼`, `未经复议直接起诉`, `结果维持`). A row's path is
//! `[parent group, group, label]` (`三、本年度办理结果`, `（三）不予公开`, `1.属于国家秘密`).
//! At each level, neighbours with the same path prefix share one merged cell; a path that ends
//! early extends its last cell over the remaining levels (`自然人` spans both header rows,
//! `（七）总计` spans two label columns).

use crate::model::{Report, Value};
use crate::template::{group_parent, BlockDecl, CellIx, Orientation, RowDecl, TableDecl};

/// A header cell (`<th>`): a label and its span.
#[derive(Debug, Clone)]
pub(crate) struct Head {
    pub label: &'static str,
    pub rowspan: usize,
    pub colspan: usize,
    /// Number of the header cell within its grid, in document order (for `id`/`headers`).
    pub id: usize,
}

/// A printed body row: the row-label cells that start on it, then its value cells.
#[derive(Debug)]
pub(crate) struct Row {
    pub heads: Vec<Head>,
    /// The cells of the row, in column order.
    pub cells: Vec<CellIx>,
    /// The full label path of the row (empty for table 4's single data row).
    pub path: Vec<&'static str>,
    /// Ids of every row-label cell covering the row, outermost first.
    pub head_ids: Vec<usize>,
}

/// One printed table (`<table>`): a block of a template table.
#[derive(Debug)]
pub(crate) struct Grid {
    pub table: &'static TableDecl,
    pub block: usize,
    /// The block's heading, printed as the caption (table 2's 第二十条第（一）项).
    pub caption: Option<&'static str>,
    /// Number of row-label columns (0 for table 4).
    pub label_cols: usize,
    /// Header rows; the corner cell, when there are label columns, opens the first.
    pub head: Vec<Vec<Head>>,
    /// Whether the first cell of `head[0]` is the corner (spanning the label columns).
    pub has_corner: bool,
    /// Per value column: its full label path.
    pub col_paths: Vec<Vec<&'static str>>,
    /// Per value column: ids of every header cell above it, outermost first.
    pub col_head_ids: Vec<Vec<usize>>,
    pub rows: Vec<Row>,
}

impl Grid {
    /// Number of value columns.
    pub fn value_cols(&self) -> usize {
        self.col_paths.len()
    }
}

/// A run of neighbours sharing a path prefix at one level.
struct Span {
    start: usize,
    len: usize,
    label: &'static str,
    /// Whether the label is the last of its path (the cell then extends to the last level).
    leaf: bool,
}

/// The merged cells of each level for a sequence of label paths.
fn spans(paths: &[Vec<&'static str>], depth: usize) -> Vec<Vec<Span>> {
    let mut levels = Vec::with_capacity(depth);
    for level in 0..depth {
        let mut out = Vec::new();
        let mut i = 0;
        while i < paths.len() {
            let p = &paths[i];
            if level >= p.len() {
                i += 1;
                continue;
            }
            let leaf = level + 1 == p.len();
            let mut j = i + 1;
            while j < paths.len() {
                let q = &paths[j];
                let same = q.len() > level && q[..=level] == p[..=level];
                if !same || (level + 1 == q.len()) != leaf || leaf {
                    break;
                }
                j += 1;
            }
            out.push(Span {
                start: i,
                len: j - i,
                label: p[level],
                leaf,
            });
            i = j;
        }
        levels.push(out);
    }
    levels
}

/// Whether a row of the report is printed: a variant row that the report does not print has
/// every cell [`Value::Absent`].
fn printed(report: &Report, cells: std::ops::Range<usize>) -> bool {
    report
        .cells
        .get(cells)
        .is_some_and(|cs| cs.iter().any(|c| c.value != Value::Absent))
}

/// The grids of every table of the report, in printed order, with the table they belong to.
pub(crate) fn grids(report: &Report) -> Vec<Grid> {
    let template = report.template();
    let mut out = Vec::new();
    let mut ix = 0usize;
    for table in &template.tables {
        for (bi, block) in table.blocks.iter().enumerate() {
            let n = block.rows.len() * block.columns.len();
            out.push(grid(report, table, bi, block, ix));
            ix += n;
        }
    }
    out
}

/// Numbers the header cells of a grid in document order (for `id`/`headers`).
#[derive(Default)]
struct Ids(usize);

impl Ids {
    fn take(&mut self) -> usize {
        let id = self.0;
        self.0 += 1;
        id
    }
}

/// A printed row of a block: its first cell and its declaration.
type PrintedRow = (usize, &'static RowDecl);

/// The grid of one block of a table: the rows the report prints, laid out by the table's
/// orientation. `first` is the block's first cell.
fn grid(
    report: &Report,
    table: &'static TableDecl,
    bi: usize,
    block: &'static BlockDecl,
    first: usize,
) -> Grid {
    let ncols = block.columns.len();
    let rows: Vec<PrintedRow> = block
        .rows
        .iter()
        .enumerate()
        .map(|(ri, r)| (first + ri * ncols, *r))
        .filter(|(start, _)| printed(report, *start..*start + ncols))
        .collect();
    let mut grid = Grid {
        table,
        block: bi,
        caption: block.title,
        label_cols: 0,
        head: Vec::new(),
        has_corner: false,
        col_paths: Vec::new(),
        col_head_ids: Vec::new(),
        rows: Vec::new(),
    };
    match table.orientation {
        Orientation::Rows => by_rows(&mut grid, block, &rows),
        Orientation::Across => across(&mut grid, block, &rows),
    }
    grid
}

/// The cells of a row starting at `start`.
fn cell_range(start: usize, ncols: usize) -> impl Iterator<Item = CellIx> {
    (start..start + ncols).map(|c| c as CellIx)
}

/// Header rows for value columns with these label paths, one row per level of `head`;
/// returns, per column, the ids of the header cells above it.
fn column_heads(
    col_paths: &[Vec<&'static str>],
    head: &mut [Vec<Head>],
    ids: &mut Ids,
) -> Vec<Vec<usize>> {
    let depth = head.len();
    let mut col_head_ids = vec![Vec::new(); col_paths.len()];
    for (level, level_spans) in spans(col_paths, depth).into_iter().enumerate() {
        for s in level_spans {
            let id = ids.take();
            for ids in &mut col_head_ids[s.start..s.start + s.len] {
                ids.push(id);
            }
            head[level].push(Head {
                label: s.label,
                rowspan: if s.leaf { depth - level } else { 1 },
                colspan: s.len,
                id,
            });
        }
    }
    col_head_ids
}

/// A table printed by rows: the corner and the column headers above, a row-label column per
/// level of the row paths, a body row per printed row.
fn by_rows(grid: &mut Grid, block: &'static BlockDecl, rows: &[PrintedRow]) {
    let mut ids = Ids::default();
    grid.col_paths = block
        .columns
        .iter()
        .map(|c| c.group.into_iter().chain([c.label]).collect())
        .collect();
    let row_paths: Vec<Vec<&'static str>> = rows
        .iter()
        .map(|(_, r)| {
            let parent = r.group.and_then(group_parent);
            parent.into_iter().chain(r.group).chain([r.label]).collect()
        })
        .collect();
    let head_depth = grid.col_paths.iter().map(Vec::len).max().unwrap_or(1);
    grid.label_cols = row_paths.iter().map(Vec::len).max().unwrap_or(1);

    // Header rows: the corner, then the column headers level by level.
    grid.head = vec![Vec::new(); head_depth];
    grid.head[0].push(Head {
        label: block.corner.unwrap_or(""),
        rowspan: head_depth,
        colspan: grid.label_cols,
        id: ids.take(),
    });
    grid.has_corner = true;
    grid.col_head_ids = column_heads(&grid.col_paths, &mut grid.head, &mut ids);
    grid.rows = body_rows(
        rows,
        row_paths,
        grid.label_cols,
        block.columns.len(),
        &mut ids,
    );
}

/// The body rows of a table printed by rows: each with the label cells that start on it,
/// level by level, numbered row by row, outer level first.
fn body_rows(
    rows: &[PrintedRow],
    row_paths: Vec<Vec<&'static str>>,
    label_cols: usize,
    ncols: usize,
    ids: &mut Ids,
) -> Vec<Row> {
    let levels = spans(&row_paths, label_cols);
    let mut body: Vec<Row> = rows
        .iter()
        .zip(row_paths)
        .map(|((start, _), path)| Row {
            heads: Vec::new(),
            cells: cell_range(*start, ncols).collect(),
            path,
            head_ids: Vec::new(),
        })
        .collect();
    let mut starts: Vec<(usize, usize, &Span)> = levels
        .iter()
        .enumerate()
        .flat_map(|(level, ss)| ss.iter().map(move |s| (s.start, level, s)))
        .collect();
    starts.sort_by_key(|(start, level, _)| (*start, *level));
    for (start, level, s) in starts {
        let id = ids.take();
        for row in &mut body[start..start + s.len] {
            row.head_ids.push(id);
        }
        body[start].heads.push(Head {
            label: s.label,
            rowspan: s.len,
            colspan: if s.leaf { label_cols - level } else { 1 },
            id,
        });
    }
    body
}

/// A table printed across (table 4): each printed row becomes a group of columns; one data
/// row holds every cell.
fn across(grid: &mut Grid, block: &'static BlockDecl, rows: &[PrintedRow]) {
    let mut ids = Ids::default();
    let ncols = block.columns.len();
    let mut cells = Vec::with_capacity(rows.len() * ncols);
    grid.col_paths = Vec::with_capacity(rows.len() * ncols);
    for (start, r) in rows {
        for c in block.columns {
            grid.col_paths
                .push(r.group.into_iter().chain([r.label, c.label]).collect());
        }
        cells.extend(cell_range(*start, ncols));
    }
    let depth = grid.col_paths.iter().map(Vec::len).max().unwrap_or(1);
    grid.head = vec![Vec::new(); depth];
    grid.col_head_ids = column_heads(&grid.col_paths, &mut grid.head, &mut ids);
    grid.rows = vec![Row {
        heads: Vec::new(),
        cells,
        path: Vec::new(),
        head_ids: Vec::new(),
    }];
}
