using System.Buffers.Binary;
using System.Text;

namespace Skillmaker.Tests.Support;

/// <summary>Adds a minimal EXIF block (orientation, DateTimeOriginal, OffsetTimeOriginal) to a JPEG,
/// as cameras write it: APP1 "Exif\0\0" + a little-endian TIFF structure.</summary>
public static class ExifJpeg
{
    public static byte[] WithExif(byte[] jpeg, ushort? orientation = null, string? dateTimeOriginal = null, string? offsetTimeOriginal = null)
    {
        var ifd0 = new List<(ushort Tag, ushort Type, uint Count, byte[] Value)>();
        var exif = new List<(ushort Tag, ushort Type, uint Count, byte[] Value)>();
        if (orientation is { } o) ifd0.Add((0x0112, 3, 1, BitConverter.GetBytes((uint)o)));
        if (dateTimeOriginal is not null) exif.Add((0x9003, 2, (uint)dateTimeOriginal.Length + 1, Encoding.ASCII.GetBytes(dateTimeOriginal + "\0")));
        if (offsetTimeOriginal is not null) exif.Add((0x9011, 2, (uint)offsetTimeOriginal.Length + 1, Encoding.ASCII.GetBytes(offsetTimeOriginal + "\0")));
        if (exif.Count > 0) ifd0.Add((0x8769, 4, 1, new byte[4])); // pointer, patched below

        var tiff = new MemoryStream();
        var w = new BinaryWriter(tiff);
        w.Write("II"u8.ToArray());
        w.Write((ushort)42);
        w.Write(8u);
        var exifPointerPatch = WriteIfd(w, ifd0, exif.Count > 0 ? (ushort)0x8769 : (ushort)0);
        if (exif.Count > 0)
        {
            var exifOffset = (uint)tiff.Position;
            WriteIfd(w, exif, 0);
            var save = tiff.Position;
            tiff.Position = exifPointerPatch;
            w.Write(exifOffset);
            tiff.Position = save;
        }
        var payload = "Exif\0\0"u8.ToArray().Concat(tiff.ToArray()).ToArray();
        var segment = new byte[4 + payload.Length];
        segment[0] = 0xFF;
        segment[1] = 0xE1;
        BinaryPrimitives.WriteUInt16BigEndian(segment.AsSpan(2), (ushort)(payload.Length + 2));
        payload.CopyTo(segment, 4);
        return [.. jpeg.Take(2), .. segment, .. jpeg.Skip(2)];
    }

    /// <summary>Writes an IFD with out-of-line values after it; returns the position of the value
    /// slot of <paramref name="patchTag"/> (0 when none).</summary>
    private static long WriteIfd(BinaryWriter w, List<(ushort Tag, ushort Type, uint Count, byte[] Value)> entries, ushort patchTag)
    {
        entries.Sort((a, b) => a.Tag.CompareTo(b.Tag));
        var start = w.BaseStream.Position;
        var dataOffset = (uint)(start + 2 + entries.Count * 12 + 4);
        var extra = new MemoryStream();
        long patch = 0;
        w.Write((ushort)entries.Count);
        foreach (var (tag, type, count, value) in entries)
        {
            w.Write(tag);
            w.Write(type);
            w.Write(count);
            if (tag == patchTag) patch = w.BaseStream.Position;
            if (value.Length <= 4)
            {
                var slot = new byte[4];
                value.AsSpan(0, Math.Min(4, value.Length)).CopyTo(slot);
                w.Write(slot);
            }
            else
            {
                w.Write(dataOffset + (uint)extra.Length);
                extra.Write(value);
                if (extra.Length % 2 == 1) extra.WriteByte(0);
            }
        }
        w.Write(0u);
        w.Write(extra.ToArray());
        return patch;
    }
}
