using SkiaSharp;
using Skillmaker.Common;
using Skillmaker.Detection;
using Skillmaker.Tests.Support;
using Skillmaker.Vision.Detection;
using Skillmaker.Vision.Imaging;

namespace Skillmaker.Tests.Detection;

public sealed class YoloDetectorTests
{
    private static readonly string[] Vehicles = ["car", "truck", "bus", "motorcycle"];

    private static IReadOnlyList<DetectedObject> DetectFile(string file)
    {
        using var frame = DetectionAssets.Detector.Detect(File.ReadAllBytes(file), DetectionAssets.Defaults);
        return frame.Detections;
    }

    [Fact]
    public void Load_RealModel_ReadsItsInterfaceAndClassNames()
    {
        var model = DetectionAssets.Detector.Model;

        Assert.Equal("8c6f0ca55e9b86c15fd6788a9edb78da087881df55cb225a64842284b84e250c", model.Sha256);
        Assert.Equal((640, 640, "yolov8"), (model.InputWidth, model.InputHeight, model.OutputLayout));
        Assert.Equal(80, model.ClassNames.Count);
        Assert.Equal("onnx metadata", model.ClassNamesSource);
        Assert.Equal(File.ReadAllLines(Path.Combine(TestAssets.Dir, "detector", "coco80.txt")).Where(l => l.Length > 0), model.ClassNames);
    }

    [Fact]
    public void Detect_BusPhoto_FindsTheBusWhereItIs()
    {
        var detections = DetectFile(TestAssets.Scene("bus.jpg"));

        var bus = Assert.Single(detections, d => Vehicles.Contains(d.ClassName));
        Assert.Equal("bus", bus.ClassName);
        Assert.InRange(bus.Score, 0.6f, 1f);
        // Reference box from the asset manifest (same model, same preprocessing).
        Assert.InRange(bus.Box.IntersectionOverUnion(new BoundingBox(35, 231, 797, 772)), 0.95f, 1f);
        Assert.True(detections.Count(d => d.ClassName == "person") >= 3);
        Assert.Equal(detections.OrderByDescending(d => d.Score), detections);
    }

    [Fact]
    public void Detect_ParkingLot_FindsAtLeastTwoCars()
    {
        var cars = DetectFile(TestAssets.Scene("parking_lot_multi.jpg")).Where(d => d.ClassName == "car").ToList();

        Assert.True(cars.Count >= 2, $"found {cars.Count} cars");
        Assert.All(cars, c => Assert.InRange(c.Box.X2, 0, 720));
    }

    [Theory]
    [InlineData("zidane.jpg")]
    [InlineData("sunset_sea.jpg")]
    [InlineData("odometer_digital.jpg")]
    public void Detect_PhotoWithoutVehicle_FindsNoVehicle(string file)
    {
        Assert.DoesNotContain(DetectFile(TestAssets.Scene(file)), d => Vehicles.Contains(d.ClassName));
    }

    [Fact]
    public void Detect_RgbaScreenshot_DropsAlphaAndFindsTheCar()
    {
        using var frame = DetectionAssets.Detector.Detect(File.ReadAllBytes(TestAssets.Scene("cctv_street_screenshot.png")), DetectionAssets.Defaults);

        var car = frame.Detections.First(d => d.ClassName == "car");
        Assert.InRange(car.Box.IntersectionOverUnion(new BoundingBox(392, 284, 691, 659)), 0.9f, 1f);
    }

    [Fact]
    public void Detect_JpegStoredRotatedWithExifOrientation_ReturnsBoxesInUprightPixels()
    {
        // Store the bus photo turned a quarter left, tagged "rotate 90 clockwise to display" (6).
        using var upright = OrientedDecoder.Decode(File.ReadAllBytes(TestAssets.Scene("bus.jpg")));
        using var stored = OrientedDecoder.Orient(upright, 8);
        var rotatedJpeg = ExifJpeg.WithExif(TestImages.Encode(stored, SKEncodedImageFormat.Jpeg, 95), orientation: 6);

        using var frame = DetectionAssets.Detector.Detect(rotatedJpeg, DetectionAssets.Defaults);

        Assert.Equal((810, 1080), (frame.Width, frame.Height));
        var bus = Assert.Single(frame.Detections, d => d.ClassName == "bus");
        Assert.InRange(bus.Box.IntersectionOverUnion(new BoundingBox(35, 231, 797, 772)), 0.9f, 1f);
    }

    [Fact]
    public void Crop_VehicleRect_HasTheRectsSizeAndPixels()
    {
        var bytes = File.ReadAllBytes(TestAssets.Scene("parking_lot_multi.jpg"));
        using var frame = DetectionAssets.Detector.Detect(bytes, DetectionAssets.Defaults);
        var rect = PixelRect.Around(frame.Detections[0].Box, 0.05f, frame.Width, frame.Height);

        var crop = frame.Crop(rect);

        Assert.Equal(("jpeg", rect.Width, rect.Height), (crop.Format, crop.Width, crop.Height));
        using var decoded = OrientedDecoder.Decode(crop.Bytes);
        using var parent = OrientedDecoder.Decode(bytes);
        Assert.InRange(MeanAbsoluteDifference(decoded, parent, rect), 0, 4);
    }

    [Fact]
    public void Load_MissingFile_SaysItDoesNotExist()
    {
        var ex = Assert.Throws<SkillmakerException>(() => YoloDetector.Load("/nonexistent/model.onnx", null, 1));

        Assert.Contains("/nonexistent/model.onnx does not exist", ex.Message);
        Assert.Contains("detector.model", ex.Message);
    }

    [Fact]
    public void Load_FileThatIsNotOnnx_SaysItIsNotAnOnnxModel()
    {
        using var dir = new TempDir("det");
        var path = dir.File("model.onnx");
        File.WriteAllText(path, "this is not a model\n");

        var ex = Assert.Throws<SkillmakerException>(() => YoloDetector.Load(path, null, 1));

        Assert.Contains("is not an ONNX model", ex.Message);
    }

    [Fact]
    public void Load_ClassifierBackbone_NamesExpectedAndFoundOutputShapes()
    {
        var ex = Assert.Throws<SkillmakerException>(() => YoloDetector.Load(TestAssets.Backbone, null, 1));

        Assert.Contains("does not have a detector's outputs", ex.Message);
        Assert.Contains("expected [1, 4+C, N] (YOLOv8/YOLO11) or [1, N, 5+C] (YOLOv5)", ex.Message);
        Assert.Contains("output [?,1000]", ex.Message);
        Assert.Contains("features [?,1280]", ex.Message);
    }

    [Fact]
    public void Detect_BytesThatAreNotAnImage_ThrowsImageDecodeException()
    {
        var ex = Assert.Throws<ImageDecodeException>(() => DetectionAssets.Detector.Detect("hello, world"u8, DetectionAssets.Defaults));
        Assert.Contains("not an image", ex.Message);

        var truncated = File.ReadAllBytes(TestAssets.Scene("bus.jpg"))[..2000];
        Assert.Throws<ImageDecodeException>(() => DetectionAssets.Detector.Detect(truncated, DetectionAssets.Defaults));
    }

    private static double MeanAbsoluteDifference(SKBitmap crop, SKBitmap parent, PixelRect rect)
    {
        long sum = 0;
        for (var y = 0; y < rect.Height; y++)
            for (var x = 0; x < rect.Width; x++)
            {
                var a = crop.GetPixel(x, y);
                var b = parent.GetPixel(rect.X + x, rect.Y + y);
                sum += Math.Abs(a.Red - b.Red) + Math.Abs(a.Green - b.Green) + Math.Abs(a.Blue - b.Blue);
            }
        return sum / (3.0 * rect.Width * rect.Height);
    }
}
