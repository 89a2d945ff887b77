using Skillmaker.Detection;
using Skillmaker.Vision.Detection;

namespace Skillmaker.Serving;

/// <summary>What the inference API runs: the cascade config, the vehicle detector and how skill
/// versions are loaded.</summary>
public sealed record InferenceSetup(ServingConfig Config, YoloDetector Detector, DetectorSettings DetectorSettings, ISkillLoader Loader);
