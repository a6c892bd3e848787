class Point:
    __slots__ = ("x", "y")

    def __init__(self, x, y):
        self.x = x
        self.y = y


def main():
    p = Point(0, 0)
    i = 0
    while i < 100000:
        p = Point(p.x + 1, p.y + i % 5)
        i = i + 1
    print(f"{p.x} {p.y}")


main()
