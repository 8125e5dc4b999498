//! Every post's language, worked out once from the posts table (the export's `lang`,
//! normalised, else identified from the text) and kept as a small number per post.
//!
//! Why apart from [`super::compute`]: the text is the widest column the analysis holds
//! (about 100 bytes a post), and only coordination (copied text) and this identification
//! read it. Identified right after coordination, the text leaves memory before features,
//! the graph and the spread are built, where it took about 1 GB at 10 M posts. A code per
//! post (4 bytes, distinct codes stored once) also replaces a `String` per post.

use anyhow::Result;
use foldhash::{HashMap, HashMapExt};
use polars::prelude::*;
use rayon::prelude::*;

use super::{UND, identify, normalise_language_tag};

/// Rows identified per task: each task keeps its own distinct codes, merged in row order.
const ROWS_PER_TASK: usize = 1 << 16;

/// Each post's language code, in the row order of the posts table it was made from.
#[derive(Debug, Clone, Default)]
pub struct PostLanguages {
    /// The distinct codes, in order of first row.
    codes: Vec<String>,
    /// Per row: its code's position in `codes`.
    code_of_row: Vec<u32>,
    /// Per row: whether the code was identified from the text (the export had no `lang`).
    from_text: Vec<bool>,
}

impl PostLanguages {
    /// Reads `lang` and, where it is null, `text`, of every row of `posts`.
    pub fn identify(posts: &DataFrame) -> Result<Self> {
        let lang = posts.column("lang")?.str()?;
        let text = posts.column("text")?.str()?;
        let starts: Vec<usize> = (0..posts.height()).step_by(ROWS_PER_TASK).collect();
        let parts: Vec<PostLanguages> = starts
            .into_par_iter()
            .map(|start| {
                let end = (start + ROWS_PER_TASK).min(posts.height());
                let mut part = PostLanguages::default();
                let mut position: HashMap<String, u32> = HashMap::new();
                for i in start..end {
                    let (code, from_text) = match lang.get(i) {
                        Some(tag) => (normalise_language_tag(tag), false),
                        None => (text.get(i).map_or_else(|| UND.to_string(), identify), true),
                    };
                    part.push(&mut position, code, from_text);
                }
                part
            })
            .collect();
        let mut all = PostLanguages {
            code_of_row: Vec::with_capacity(posts.height()),
            from_text: Vec::with_capacity(posts.height()),
            codes: Vec::new(),
        };
        let mut position: HashMap<String, u32> = HashMap::new();
        for part in parts {
            let remapped: Vec<u32> = part
                .codes
                .into_iter()
                .map(|code| all.position_of(&mut position, code))
                .collect();
            all.code_of_row
                .extend(part.code_of_row.iter().map(|&c| remapped[c as usize]));
            all.from_text.extend(part.from_text);
        }
        Ok(all)
    }

    /// Row `i`'s language code and whether it was identified from the text. Panics if `i`
    /// is out of range.
    pub fn get(&self, i: usize) -> (&str, bool) {
        (&self.codes[self.code_of_row[i] as usize], self.from_text[i])
    }

    /// Rows covered.
    pub fn len(&self) -> usize {
        self.code_of_row.len()
    }

    /// Whether it covers no row.
    pub fn is_empty(&self) -> bool {
        self.code_of_row.is_empty()
    }

    fn push(&mut self, position: &mut HashMap<String, u32>, code: String, from_text: bool) {
        let at = self.position_of(position, code);
        self.code_of_row.push(at);
        self.from_text.push(from_text);
    }

    fn position_of(&mut self, position: &mut HashMap<String, u32>, code: String) -> u32 {
        if let Some(&at) = position.get(&code) {
            return at;
        }
        let at = self.codes.len() as u32;
        self.codes.push(code.clone());
        position.insert(code, at);
        at
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Codes and their origin per row, as the per-row rules give them, whatever the task
    /// split (more rows than one task holds).
    #[test]
    fn one_code_per_row_as_the_rules_give_it() {
        let n = 3 * ROWS_PER_TASK + 17;
        let lang: Vec<Option<&str>> = (0..n)
            .map(|i| match i % 4 {
                0 => Some("en"),
                1 => Some("in"),
                2 => None,
                _ => Some("fr-FR"),
            })
            .collect();
        let text: Vec<Option<&str>> = (0..n)
            .map(|i| {
                if i % 8 == 2 {
                    Some("Les courriels de la campagne ont été publiés ce soir sur le forum")
                } else {
                    None
                }
            })
            .collect();
        let posts = DataFrame::new_infer_height(vec![
            Column::new("lang".into(), lang.clone()),
            Column::new("text".into(), text.clone()),
        ])
        .unwrap();
        let found = PostLanguages::identify(&posts).unwrap();
        assert_eq!(found.len(), n);
        for i in [0, 1, 2, 3, 6, 10, ROWS_PER_TASK + 2, n - 1] {
            let expected = match lang[i] {
                Some(tag) => (normalise_language_tag(tag), false),
                None => (text[i].map_or_else(|| UND.to_string(), identify), true),
            };
            let (code, from_text) = found.get(i);
            assert_eq!((code.to_string(), from_text), expected, "row {i}");
        }
        assert_eq!(found.get(2), ("fr", true));
        assert_eq!(found.get(6), (UND, true));
        assert_eq!(found.get(1), ("id", false));
        assert!(found.codes.len() <= 4);
    }
}
