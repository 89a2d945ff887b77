using System.Buffers.Binary;
using System.Text;
using Skillmaker.Common;

namespace Skillmaker.Vision.Embeddings;

/// <summary>Many embeddings of one backbone and preprocessing in one blob, as a worker hands them back:
/// magic <c>SMEMBPK1</c>, backbone SHA-256 and preprocessing hash (64 ASCII hex each), dimension and
/// count (int32), then per entry the image id (64 ASCII hex), the variant (int16 length, UTF-8) and the
/// vector (little-endian float32s). The blob store names it by its SHA-256, so a pack is verified whole
/// on every read.</summary>
public static class EmbeddingPack
{
    private static ReadOnlySpan<byte> Magic => "SMEMBPK1"u8;
    private const int HexLength = 64;

    public static byte[] Write(string backboneSha256, string preprocessingHash, int dimension, IReadOnlyList<(EmbeddingKey Key, float[] Vector)> entries)
    {
        using var stream = new MemoryStream();
        using var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
        writer.Write(Magic);
        writer.Write(Hex(backboneSha256, "backbone SHA-256"));
        writer.Write(Hex(preprocessingHash, "preprocessing hash"));
        writer.Write(dimension);
        writer.Write(entries.Count);
        foreach (var (key, vector) in entries)
        {
            if (key.BackboneSha256 != backboneSha256 || key.PreprocessingHash != preprocessingHash)
                throw new ArgumentException($"embedding of {key.ImageId} belongs to another backbone or preprocessing than the pack", nameof(entries));
            if (vector.Length != dimension) throw new ArgumentException($"embedding of {key.ImageId} has {vector.Length} values, not {dimension}", nameof(entries));
            writer.Write(Hex(key.ImageId, "image id"));
            var variant = Encoding.UTF8.GetBytes(key.Variant);
            writer.Write(checked((short)variant.Length));
            writer.Write(variant);
            foreach (var v in vector) writer.Write(v); // BinaryWriter writes little-endian
        }
        writer.Flush();
        return stream.ToArray();
    }

    /// <summary>Reads a pack; throws a <see cref="SkillmakerException"/> naming <paramref name="what"/> when it is not one.</summary>
    public static (string BackboneSha256, string PreprocessingHash, IReadOnlyList<(EmbeddingKey Key, float[] Vector)> Entries) Read(ReadOnlySpan<byte> bytes, string what)
    {
        try
        {
            if (!bytes.StartsWith(Magic)) throw new FormatException("it does not start with SMEMBPK1");
            var at = Magic.Length;
            var backbone = Ascii(bytes, ref at);
            var preprocessing = Ascii(bytes, ref at);
            var dimension = BinaryPrimitives.ReadInt32LittleEndian(bytes[at..]);
            var count = BinaryPrimitives.ReadInt32LittleEndian(bytes[(at + 4)..]);
            at += 8;
            if (dimension <= 0 || count < 0) throw new FormatException($"dimension {dimension}, count {count}");
            var entries = new List<(EmbeddingKey, float[])>(count);
            for (var i = 0; i < count; i++)
            {
                var image = Ascii(bytes, ref at);
                var length = BinaryPrimitives.ReadInt16LittleEndian(bytes[at..]);
                at += 2;
                var variant = Encoding.UTF8.GetString(bytes.Slice(at, length));
                at += length;
                var vector = new float[dimension];
                for (var d = 0; d < dimension; d++, at += 4) vector[d] = BinaryPrimitives.ReadSingleLittleEndian(bytes[at..]);
                entries.Add((new EmbeddingKey(image, backbone, preprocessing, variant), vector));
            }
            if (at != bytes.Length) throw new FormatException($"{bytes.Length - at} bytes follow the last entry");
            return (backbone, preprocessing, entries);
        }
        catch (Exception ex) when (ex is FormatException or ArgumentOutOfRangeException)
        {
            throw new SkillmakerException($"{what} is not an embedding pack: {ex.Message}.");
        }
    }

    private static byte[] Hex(string value, string what) =>
        value.Length == HexLength && value.All(char.IsAsciiHexDigitLower) ? Encoding.ASCII.GetBytes(value)
            : throw new ArgumentException($"{what} '{value}' is not 64 lower-case hex digits");

    private static string Ascii(ReadOnlySpan<byte> bytes, ref int at)
    {
        var text = Encoding.ASCII.GetString(bytes.Slice(at, HexLength));
        at += HexLength;
        return text;
    }
}
