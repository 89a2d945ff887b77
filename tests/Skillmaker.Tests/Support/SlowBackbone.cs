using System.Text;

namespace Skillmaker.Tests.Support;

/// <summary>Makes a deliberately slower copy of the real feature backbone: same <c>features</c>, plus
/// an output <c>slow_features</c> = features + 0 × mean(Conv(input, W)) for a few large convolutions
/// that cost real time. The embedding values are unchanged, so a skill on it is exactly as accurate,
/// only slower.
/// How: protobuf merges a repeated occurrence of a message field, so appending a second <c>graph</c>
/// field to the ModelProto adds its nodes, initializers and outputs to the model's graph.</summary>
public static class SlowBackbone
{
    public const string Output = "slow_features";

    public static string Create(string source, string destination, int convolutions = 3, int channels = 48)
    {
        var graph = new Proto();
        var random = new Random(1);
        var zero = new Proto().Bytes(8, "sm_zero").Varint(2, 1).Bytes(9, BitConverter.GetBytes(0f));
        graph.Message(5, zero);
        var means = new List<string>();
        for (var c = 0; c < convolutions; c++)
        {
            var weights = new byte[channels * 3 * 7 * 7 * 4];
            for (var i = 0; i < weights.Length / 4; i++) BitConverter.GetBytes((float)(random.NextDouble() - 0.5)).CopyTo(weights, i * 4);
            graph.Message(5, new Proto().Ints(1, channels, 3, 7, 7).Varint(2, 1).Bytes(8, $"sm_w{c}").Bytes(9, weights));
            graph.Message(1, Node("Conv", [$"input", $"sm_w{c}"], $"sm_conv{c}", Attribute.Ints("pads", 3, 3, 3, 3)));
            graph.Message(1, Node("ReduceMean", [$"sm_conv{c}"], $"sm_mean{c}", Attribute.Ints("axes", 1, 2, 3), Attribute.Int("keepdims", 0)));
            means.Add($"sm_mean{c}");
        }
        graph.Message(1, Node("Sum", [.. means], "sm_total"));
        graph.Message(1, Node("Mul", ["sm_total", "sm_zero"], "sm_nothing"));
        graph.Message(1, Node("Unsqueeze", ["sm_nothing"], "sm_column", Attribute.Ints("axes", 1)));
        graph.Message(1, Node("Add", ["features", "sm_column"], Output));
        var shape = new Proto().Message(1, new Proto().Bytes(2, "N")).Message(1, new Proto().Varint(1, 1280));
        graph.Message(12, new Proto().Bytes(1, Output).Message(2, new Proto().Message(1, new Proto().Varint(1, 1).Message(2, shape))));

        File.WriteAllBytes(destination, [.. File.ReadAllBytes(source), .. new Proto().Message(7, graph).ToArray()]);
        return destination;
    }

    private static Proto Node(string op, string[] inputs, string output, params Proto[] attributes)
    {
        var node = new Proto();
        foreach (var i in inputs) node.Bytes(1, i);
        node.Bytes(2, output).Bytes(3, $"sm_{output}").Bytes(4, op);
        foreach (var a in attributes) node.Message(5, a);
        return node;
    }

    private static class Attribute
    {
        public static Proto Ints(string name, params long[] values) => new Proto().Bytes(1, name).Ints(8, values).Varint(20, 7);
        public static Proto Int(string name, long value) => new Proto().Bytes(1, name).Varint(3, value).Varint(20, 2);
    }

    /// <summary>Just enough protobuf writing: varints, length-delimited bytes, nested messages.</summary>
    private sealed class Proto
    {
        private readonly MemoryStream _bytes = new();

        public Proto Varint(int field, long value) { Key(field, 0); Raw((ulong)value); return this; }
        public Proto Ints(int field, params long[] values) { foreach (var v in values) Varint(field, v); return this; }
        public Proto Bytes(int field, string text) => Bytes(field, Encoding.UTF8.GetBytes(text));
        public Proto Bytes(int field, byte[] data) { Key(field, 2); Raw((ulong)data.Length); _bytes.Write(data); return this; }
        public Proto Message(int field, Proto message) => Bytes(field, message.ToArray());
        public byte[] ToArray() => _bytes.ToArray();

        private void Key(int field, int wireType) => Raw((ulong)((field << 3) | wireType));

        private void Raw(ulong value)
        {
            while (value >= 0x80) { _bytes.WriteByte((byte)(value | 0x80)); value >>= 7; }
            _bytes.WriteByte((byte)value);
        }
    }
}
