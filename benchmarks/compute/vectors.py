class Vec:
    def __init__(self, a, b):
        self.x = a
        self.y = b

    def add(self, o):
        return Vec(self.x + o.x, self.y + o.y)

    def len2(self):
        return self.x * self.x + self.y * self.y


def main():
    acc = Vec(0, 0)
    step = Vec(1, 2)
    for _ in range(30000):
        acc = acc.add(step)
    print(acc.len2())


main()
