//! A multinomial logistic regression (softmax) over sparse binary features: one weight per
//! class and feature, trained with stochastic gradient descent in a fixed order, so the same
//! examples always give the same model.

use serde::{Deserialize, Serialize};

/// One classifier head (department, sentiment or urgency).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Head {
    /// Class names, in index order.
    pub classes: Vec<String>,
    /// `weights[class][feature]`.
    pub weights: Vec<Vec<f32>>,
}

/// How training runs.
#[derive(Debug, Clone, Copy)]
pub struct Training {
    /// Passes over the examples.
    pub epochs: usize,
    /// The first step size; it decays as `rate / (1 + epoch / 10)`.
    pub rate: f32,
    /// L2 shrinkage per update of a weight.
    pub l2: f32,
}

impl Default for Training {
    fn default() -> Self {
        Self {
            epochs: 40,
            rate: 0.5,
            l2: 1e-4,
        }
    }
}

impl Head {
    /// A head with every weight zero.
    pub fn new(classes: Vec<String>, features: usize) -> Self {
        let weights = vec![vec![0.0; features]; classes.len()];
        Self { classes, weights }
    }

    /// Class probabilities for an example with these active features.
    pub fn probabilities(&self, features: &[usize]) -> Vec<f32> {
        let scale = 1.0 / (features.len().max(1) as f32).sqrt();
        let scores: Vec<f32> = self
            .weights
            .iter()
            .map(|w| features.iter().filter_map(|f| w.get(*f)).sum::<f32>() * scale)
            .collect();
        let max = scores.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let exp: Vec<f32> = scores.iter().map(|s| (s - max).exp()).collect();
        let total: f32 = exp.iter().sum();
        exp.iter().map(|e| e / total).collect()
    }

    /// The most likely class and its probability.
    pub fn predict(&self, features: &[usize]) -> (usize, f32) {
        self.probabilities(features)
            .into_iter()
            .enumerate()
            .fold(
                (0, f32::MIN),
                |best, (i, p)| if p > best.1 { (i, p) } else { best },
            )
    }

    /// Trains on `(features, class)` pairs.
    pub fn train(&mut self, examples: &[(Vec<usize>, usize)], t: Training) {
        let mut order: Vec<usize> = (0..examples.len()).collect();
        let mut seed: u64 = 0x5eed_5eed;
        for epoch in 0..t.epochs {
            shuffle(&mut order, &mut seed);
            let rate = t.rate / (1.0 + epoch as f32 / 10.0);
            for &i in &order {
                let (features, class) = &examples[i];
                let scale = 1.0 / (features.len().max(1) as f32).sqrt();
                let p = self.probabilities(features);
                for (c, w) in self.weights.iter_mut().enumerate() {
                    let gradient = p[c] - if c == *class { 1.0 } else { 0.0 };
                    for &f in features {
                        if let Some(x) = w.get_mut(f) {
                            *x -= rate * (gradient * scale + t.l2 * *x);
                        }
                    }
                }
            }
        }
    }
}

/// Fisher–Yates with a linear congruential generator: the same order for the same seed.
fn shuffle(v: &mut [usize], seed: &mut u64) {
    for i in (1..v.len()).rev() {
        *seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let j = ((*seed >> 33) % (i as u64 + 1)) as usize;
        v.swap(i, j);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn learns_a_separable_problem() {
        let mut h = Head::new(vec!["a".into(), "b".into()], 3);
        let examples = vec![
            (vec![0, 2], 0),
            (vec![1, 2], 1),
            (vec![0, 2], 0),
            (vec![1, 2], 1),
        ];
        h.train(&examples, Training::default());
        assert_eq!(h.predict(&[0, 2]).0, 0);
        assert_eq!(h.predict(&[1, 2]).0, 1);
        assert!(h.predict(&[1, 2]).1 > 0.8);
    }
}
