class Counter:
    def __init__(self):
        self.count = 0

    def add(self, n):
        self.count = self.count + n

    def get(self):
        return self.count


def main():
    c = Counter()
    i = 0
    while i < 200000:
        c.add(i % 3)
        i = i + 1
    print(c.get())


main()
