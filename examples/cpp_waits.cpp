// cpp_waits.cpp: a C++ program's waits reach libwait's wrappers:
// std::mutex (pthread_mutex_lock/unlock), std::condition_variable
// (pthread_cond_wait, pthread_cond_signal), new/delete (malloc/free).
// Waiter::wait_for_items waits 4 times for Producer::produce, which sleeps
// 20 ms before each item: ~80 ms of pthread_cond_wait in a demangled frame.
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <thread>
#include <vector>

namespace demo {

struct Queue {
    std::mutex m;
    std::condition_variable cv;
    std::vector<int *> items;
};

struct Producer {
    __attribute__((noinline)) void produce(Queue &q, int n)
    {
        for (int i = 0; i < n; i++) {
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
            int *p = new int(i);
            {
                std::lock_guard<std::mutex> g(q.m);
                q.items.push_back(p);
            }
            q.cv.notify_one();
        }
    }
};

struct Waiter {
    __attribute__((noinline)) long wait_for_items(Queue &q, int n)
    {
        long sum = 0;
        for (int got = 0; got < n; got++) {
            std::unique_lock<std::mutex> l(q.m);
            q.cv.wait(l, [&] { return !q.items.empty(); });
            int *p = q.items.back();
            q.items.pop_back();
            sum += *p;
            delete p;
        }
        return sum;
    }
};

} // namespace demo

int main()
{
    demo::Queue q;
    demo::Producer prod;
    std::thread t([&] { prod.produce(q, 4); });
    long s = demo::Waiter().wait_for_items(q, 4);
    t.join();
    std::printf("sum %ld\n", s);
    return 0;
}
