//! Every claim the tool knows, in a fixed order (the order of reports and of `overparam list`).

use crate::Claim;
use crate::telgarsky;
use crate::vempala_wilmes;
use crate::{
    allen_zhu_li_song, arjevani_field, heiss_teichmann_wutte, liu_belkin, safran_shamir,
    song_et_al, su_yang, zhou_ge_jin,
};

/// All registered claims.
pub fn all_claims() -> Vec<&'static dyn Claim> {
    vec![
        &arjevani_field::GlobalMinSpectrum,
        &arjevani_field::TypeAMinima,
        &arjevani_field::HessianConcentration,
        &safran_shamir::SpuriousFrequency,
        &heiss_teichmann_wutte::SplineLimit,
        &heiss_teichmann_wutte::EarlyStopping,
        &zhou_ge_jin::LocalConvergence,
        &song_et_al::SubquadraticWidth,
        &liu_belkin::NesterovDiverges,
        &liu_belkin::NoAcceleration,
        &liu_belkin::MassEveryBatch,
        &liu_belkin::BatchRegimes,
        &allen_zhu_li_song::KernelRegime,
        &allen_zhu_li_song::LambdaMinStable,
        &su_yang::EigenspaceRates,
        &telgarsky::MarginNearInit,
        &telgarsky::NormOnly,
        &telgarsky::SampleComplexity,
        &vempala_wilmes::SpectralBias,
        &safran_shamir::CertifiedSpuriousMinima,
        &telgarsky::LowRotation,
        &su_yang::RiskFloor,
        &su_yang::WidthNLogN,
    ]
}

/// The claim with this id, if any.
pub fn find_claim(id: &str) -> Option<&'static dyn Claim> {
    all_claims().into_iter().find(|c| c.info().id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_well_formed() {
        let ids: Vec<&str> = all_claims().iter().map(|c| c.info().id).collect();
        let mut sorted = ids.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), ids.len(), "duplicate claim id");
        for id in ids {
            let (author_year, name) = id.split_once('.').expect("id is <author><year>.<name>");
            // a hyphenated surname keeps its hyphen (allen-zhu2019)
            assert!(
                author_year
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            );
            assert!(author_year.starts_with(|c: char| c.is_ascii_lowercase()));
            assert!(author_year.ends_with(|c: char| c.is_ascii_digit()));
            assert!(
                name.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            );
        }
    }
}
