//! Node attributes of the amplification network: typed columns and one row of values per
//! account, as the Gephi files declare and carry them (GraphML `attr.type`, GEXF `type`).

use std::collections::HashSet;

use anyhow::{Result, ensure};

/// One node attribute value.
#[derive(Clone, Debug, PartialEq)]
pub enum AttrValue {
    /// For [`AttrType::String`] columns.
    Str(String),
    /// For [`AttrType::Long`] (or [`AttrType::Double`]) columns.
    Int(i64),
    /// For [`AttrType::Double`] columns; NaN and ±inf are written as missing.
    Float(f64),
    /// For [`AttrType::Boolean`] columns.
    Bool(bool),
    /// Missing; allowed in any column, written as no value.
    Null,
}

/// Declared type of a node attribute column (GraphML `attr.type` / GEXF `type`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AttrType {
    /// `string`.
    String,
    /// `long` (64-bit integer).
    Long,
    /// `double`.
    Double,
    /// `boolean`.
    Boolean,
}

impl AttrType {
    /// Type name, identical in GraphML and GEXF.
    pub fn as_str(self) -> &'static str {
        match self {
            AttrType::String => "string",
            AttrType::Long => "long",
            AttrType::Double => "double",
            AttrType::Boolean => "boolean",
        }
    }
}

/// A named, typed node attribute column.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct AttrColumn {
    /// Column name as shown in Gephi. `label` and `pagerank` are reserved.
    pub name: String,
    /// Declared type; every non-null value must match it.
    pub kind: AttrType,
}

impl AttrColumn {
    /// Convenience constructor.
    pub fn new(name: impl Into<String>, kind: AttrType) -> Self {
        AttrColumn {
            name: name.into(),
            kind,
        }
    }
}

/// Node attributes for the Gephi exports: typed columns and one row per account index.
/// A `String` column named `handle` supplies node labels. With no columns, `rows` may be
/// empty.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct NodeAttributes {
    /// Column declarations.
    pub columns: Vec<AttrColumn>,
    /// `rows[account][column]`.
    pub rows: Vec<Vec<AttrValue>>,
}

impl NodeAttributes {
    /// Checks shape, names and value types against the declared columns.
    pub fn validate(&self, n_accounts: usize) -> Result<()> {
        let mut names = HashSet::new();
        for column in &self.columns {
            ensure!(
                column.name != "label" && column.name != "pagerank",
                "node attribute name {:?} is reserved",
                column.name
            );
            ensure!(
                names.insert(column.name.as_str()),
                "duplicate node attribute {:?}",
                column.name
            );
        }
        if self.columns.is_empty() && self.rows.is_empty() {
            return Ok(());
        }
        ensure!(
            self.rows.len() == n_accounts,
            "node attributes have {} rows, expected one per account ({n_accounts})",
            self.rows.len()
        );
        for (account, row) in self.rows.iter().enumerate() {
            ensure!(
                row.len() == self.columns.len(),
                "node attribute row {account} has {} values, expected {}",
                row.len(),
                self.columns.len()
            );
            for (value, column) in row.iter().zip(&self.columns) {
                let ok = matches!(
                    (value, column.kind),
                    (AttrValue::Null, _)
                        | (AttrValue::Str(_), AttrType::String)
                        | (AttrValue::Int(_), AttrType::Long | AttrType::Double)
                        | (AttrValue::Float(_), AttrType::Double)
                        | (AttrValue::Bool(_), AttrType::Boolean)
                );
                ensure!(
                    ok,
                    "node attribute {:?} of account {account} is {value:?}, column type is {}",
                    column.name,
                    column.kind.as_str()
                );
            }
        }
        Ok(())
    }

    /// Index of the `handle` label column, if there is a string column of that name.
    pub(crate) fn handle_column(&self) -> Option<usize> {
        self.columns
            .iter()
            .position(|c| c.name == "handle" && c.kind == AttrType::String)
    }
}
