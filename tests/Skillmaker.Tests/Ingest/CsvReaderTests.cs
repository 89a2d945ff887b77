using System.Text;
using Skillmaker.Common;
using Skillmaker.Sources;

namespace Skillmaker.Tests.Ingest;

public sealed class CsvReaderTests : IDisposable
{
    private readonly TempDir _dir = new("csv");

    public void Dispose() => _dir.Dispose();

    /// <summary>A real file with <paramref name="text"/>, UTF-8 without a BOM unless told.</summary>
    private string Write(string name, string text, Encoding? encoding = null)
    {
        var path = _dir.File(name);
        File.WriteAllText(path, text, encoding ?? new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
        return path;
    }
    [Fact]
    public void Read_QuotesCommasAndNewlines_ParsedPerRfc4180()
    {
        var csv = "\uFEFFpath,label\r\n\"a, b.jpg\",\"say \"\"hi\"\"\"\r\n\"multi\nline.jpg\",x\n\nlast.jpg,\n";

        var records = CsvReader.Read(new StringReader(csv), "list.csv").ToList();

        Assert.Equal(4, records.Count);
        Assert.Equal(["path", "label"], records[0].Fields);
        Assert.Equal(["a, b.jpg", "say \"hi\""], records[1].Fields);
        Assert.Equal(["multi\nline.jpg", "x"], records[2].Fields);
        Assert.Equal(["last.jpg", ""], records[3].Fields);
        Assert.Equal([1, 2, 3, 6], records.Select(r => r.Line));
    }

    [Fact]
    public void ReadFile_Utf8BomAndCrlf_HeaderReadWithoutTheMark()
    {
        var path = Write("bom.csv", "path,label\r\na.jpg,x\r\n", new UTF8Encoding(encoderShouldEmitUTF8Identifier: true));
        Assert.Equal(0xEF, File.ReadAllBytes(path)[0]);

        var records = CsvReader.ReadFile(path).ToList();

        Assert.Equal(["path", "label"], records[0].Fields);
        Assert.Equal(["a.jpg", "x"], records[1].Fields);
    }

    [Fact]
    public void ReadFile_NewlinesInsideQuotes_EachRecordKeepsTheLineItStartsOn()
    {
        var path = Write("notes.csv", "path,note\na.jpg,\"first\nsecond\nthird\"\nb.jpg,\"one, \"\"two\"\"\"\n\"\"\nc.jpg,plain\n");

        var records = CsvReader.ReadFile(path).ToList();

        Assert.Equal([1, 2, 5, 7], records.Select(r => r.Line));
        Assert.Equal("first\nsecond\nthird", records[1].Fields[1]);
        Assert.Equal("one, \"two\"", records[2].Fields[1]);
        Assert.Equal(["c.jpg", "plain"], records[3].Fields);
    }

    [Fact]
    public void ReadFile_UnclosedQuote_ErrorNamesFileLineAndWhatWasExpected()
    {
        var path = Write("broken.csv", "path,label\na.jpg,x\n\"open.jpg,y\nb.jpg,z\n");

        var ex = Assert.Throws<FormatException>(() => CsvReader.ReadFile(path).ToList());

        Assert.Contains($"{path} line 3", ex.Message);
        Assert.Contains("never closed", ex.Message);
        Assert.Contains("expected a closing quote", ex.Message);
    }

    [Fact]
    public void Read_StrayQuoteInUnquotedField_KeptAsText()
    {
        var records = CsvReader.Read(new StringReader("path,label\n12\" wheel.jpg,x\n"), "list.csv").ToList();

        Assert.Equal(["12\" wheel.jpg", "x"], records[1].Fields);
    }

    [Fact]
    public void Escape_AwkwardValues_ReadBackUnchanged()
    {
        string[] values = ["plain", "a, b", "say \"hi\"", "two\nlines", "crlf\r\nend", ""];
        var line = string.Join(',', values.Select(CsvReader.Escape));

        var record = Assert.Single(CsvReader.Read(new StringReader(line + "\n"), "escaped.csv"));

        Assert.Equal(values, record.Fields);
    }

    [Fact]
    public void ReadFile_LargeFile_EveryRecordReadWithItsLine()
    {
        var path = _dir.File("large.csv");
        const int rows = 200_000;
        using (var writer = new StreamWriter(path))
        {
            writer.Write("path,label\n");
            for (var i = 0; i < rows; i++) writer.Write($"img/{i}.jpg,\"make {i % 13}, model\"\n");
        }

        var count = 0;
        var last = (Line: 0, Fields: Array.Empty<string>());
        foreach (var record in CsvReader.ReadFile(path).Skip(1))
        {
            count++;
            last = record;
        }

        Assert.Equal(rows, count);
        Assert.Equal(rows + 1, last.Line);
        Assert.Equal([$"img/{rows - 1}.jpg", $"make {(rows - 1) % 13}, model"], last.Fields);
    }

    [Fact]
    public void Read_EndlessInput_FirstRecordsComeWithoutReadingItWhole()
    {
        // About 2 GB of rows if it were read to the end: only streaming gets the first records back.
        using var source = new EndlessCsv(rows: 50_000_000);

        var first = CsvReader.Read(source, "endless.csv").Take(10).ToList();

        Assert.Equal(10, first.Count);
        Assert.Equal(["img/8.jpg", "x"], first[9].Fields);
        Assert.InRange(source.CharsServed, 1, 1 << 20);
    }

    [Fact]
    public void UrlListRead_UnclosedQuote_ListRejectedWholeNamingTheLine()
    {
        var path = Write("urls.csv", "url,label\nhttps://cars.example/1.jpg,bmw\n\"https://cars.example/2.jpg,audi\n");

        var parsed = UrlList.Read([path]);

        Assert.Empty(parsed.Entries);
        var rejection = Assert.Single(parsed.Rejected);
        Assert.Equal(path, rejection.Path);
        Assert.Contains("cannot be read as CSV", rejection.Reason);
        Assert.Contains("line 3", rejection.Reason);
    }

    /// <summary>A header and then numbered rows, made as they are read.</summary>
    private sealed class EndlessCsv(int rows) : TextReader
    {
        private string _pending = "path,label\n";
        private int _next;

        public long CharsServed { get; private set; }

        public override int Peek() => _pending.Length > 0 || Refill() ? _pending[0] : -1;

        public override int Read(Span<char> buffer)
        {
            if (_pending.Length == 0 && !Refill()) return 0;
            var n = Math.Min(buffer.Length, _pending.Length);
            _pending.AsSpan(0, n).CopyTo(buffer);
            _pending = _pending[n..];
            CharsServed += n;
            return n;
        }

        public override int Read(char[] buffer, int index, int count) => Read(buffer.AsSpan(index, count));

        private bool Refill()
        {
            if (_next >= rows) return false;
            _pending = $"img/{_next++}.jpg,x\n";
            return true;
        }
    }
}
