namespace Skillmaker.Storage;

/// <summary>How an engine spells the few parts of the schema that differ, so each module's DDL is written
/// once (Sql/*Schema.cs) and rendered per engine. A released step must keep rendering the same text:
/// it is what existing catalogs hold.</summary>
public abstract class SchemaDialect
{
    /// <summary>An auto-numbered 64-bit primary key column.</summary>
    public abstract string Identity { get; }

    /// <summary>A 64-bit integer column.</summary>
    public abstract string WholeNumber { get; }

    /// <summary>A double-precision floating point column.</summary>
    public abstract string Real { get; }

    /// <summary>A byte string column.</summary>
    public abstract string Bytes { get; }

    /// <summary>The text column compared by code point, as <see cref="string.CompareOrdinal(string, string)"/> orders ids.</summary>
    public abstract string Ordinal(string column);

    /// <summary>A trigger named <paramref name="trigger"/> that refuses <paramref name="operation"/> (UPDATE or
    /// DELETE) on every row of <paramref name="table"/>, saying <paramref name="message"/> where the engine can.</summary>
    public abstract string Refuse(string trigger, string table, string operation, string message);

    /// <summary>What keeps <paramref name="table"/> append-only: no row is updated or deleted.</summary>
    public abstract string AppendOnly(string table, string message);
}
