namespace Skillmaker.Common;

/// <summary>Reports one kind of progress as another, synchronously (a display's (done, total) from a
/// stage's own progress record).</summary>
public static class ProgressMap
{
    public static IProgress<TFrom> Map<TFrom, TTo>(this IProgress<TTo> inner, Func<TFrom, TTo> map) => new Mapped<TFrom, TTo>(inner, map);

    private sealed class Mapped<TFrom, TTo>(IProgress<TTo> inner, Func<TFrom, TTo> map) : IProgress<TFrom>
    {
        public void Report(TFrom value) => inner.Report(map(value));
    }
}
