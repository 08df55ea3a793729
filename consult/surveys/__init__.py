"""Surveys 问卷 and satisfaction forms 满意度测评: building, answering (web and paper), results."""
