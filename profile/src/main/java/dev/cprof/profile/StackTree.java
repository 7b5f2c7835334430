package dev.cprof.profile;

import java.util.Arrays;

/**
 * The prefix tree of stacks. Node 0 is the root (no frame); every other node is one frame
 * under its parent. A (parent, frame) pair has exactly one node, found by hash, so
 * inserting a stack is one lookup per frame and no allocation once the node exists.
 */
public final class StackTree {
    public static final int ROOT = 0;
    private int[] parents = new int[4096];
    private int[] frames = new int[4096];
    private int[] depths = new int[4096];
    private int size = 1;
    private final LongIntMap children = new LongIntMap(4096);

    public StackTree() {
        parents[0] = -1;
        frames[0] = -1;
    }

    /** The child of parent for frame, created if absent. */
    public int child(int parent, int frame) {
        long key = ((long) parent << 32) | (frame & 0xffffffffL);
        int node = children.get(key);
        if (node < 0) {
            node = size++;
            if (node == parents.length) {
                parents = Arrays.copyOf(parents, node * 2);
                frames = Arrays.copyOf(frames, node * 2);
                depths = Arrays.copyOf(depths, node * 2);
            }
            parents[node] = parent;
            frames[node] = frame;
            depths[node] = depths[parent] + 1;
            children.putNew(key, node);
        }
        return node;
    }

    /** Inserts a root-first stack under {@code from}; returns the leaf node. */
    public int insert(int from, int[] rootFirstFrames, int length) {
        int node = from;
        for (int i = 0; i < length; i++) {
            node = child(node, rootFirstFrames[i]);
        }
        return node;
    }

    public int parent(int node) {
        return parents[node];
    }

    public int frame(int node) {
        return frames[node];
    }

    public int depth(int node) {
        return depths[node];
    }

    /** Number of nodes including the root. Node ids are in creation order: parents first. */
    public int size() {
        return size;
    }

    /** Frame ids of the path to node, root first. */
    public int[] path(int node) {
        int[] out = new int[depths[node]];
        for (int n = node, i = out.length - 1; n != ROOT; n = parents[n], i--) {
            out[i] = frames[n];
        }
        return out;
    }

    long memoryBytes() {
        return parents.length * 12L + children.memoryBytes();
    }
}
