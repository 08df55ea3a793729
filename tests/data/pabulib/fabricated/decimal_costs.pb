META
key;value
description;Fabricated: budget and costs in grosze, one grosz decides
country;Testland
unit;Test
instance;2024
num_projects;3
num_votes;3
budget;1000.50
vote_type;approval
rule;greedy
currency;PLN
PROJECTS
project_id;cost;votes;selected;name
1;500.25;2;0;Playground
2;500.25;2;0;Bike racks
3;500.26;3;1;Library corner
VOTES
voter_id;vote
1;1,2,3
2;3,1
3;3,2
